"""Application endpoints under /api/v1/: the applicant's and the reviewer's."""

from django.urls import path

from approvals.api import views

app_name = "approvals_api"

urlpatterns = [
    path("orgs/", views.OrgSearchView.as_view(), name="org_search"),
    path("orgs/tree/", views.OrgTreeView.as_view(), name="org_tree"),
    path("orgs/<int:org_id>/eligibility/", views.EligibilityView.as_view(), name="eligibility"),
    path("me/applications/", views.MyApplicationListView.as_view(), name="my_applications"),
    path("me/applications/<int:pk>/", views.MyApplicationDetailView.as_view(), name="my_application"),
    path("me/applications/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("me/applications/<int:pk>/resubmit/", views.ResubmitView.as_view(), name="resubmit"),
    path("review/applications/", views.ReviewQueueView.as_view(), name="queue"),
    path("review/applications/batch-approve/", views.BatchApproveView.as_view(), name="batch_approve"),
    path("review/applications/<int:pk>/", views.ReviewDetailView.as_view(), name="detail"),
    path("review/applications/<int:pk>/decision/", views.DecisionView.as_view(), name="decide"),
    path("review/applications/<int:pk>/recommend/", views.RecommendApplicationView.as_view(), name="recommend_application"),
    path("members/<int:pk>/recommend/", views.RecommendMemberView.as_view(), name="recommend_member"),
]
