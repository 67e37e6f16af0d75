from django.urls import path

from approvals import views

app_name = "approvals"

urlpatterns = [
    path("review/", views.queue, name="queue"),
    path("review/export.csv", views.queue_export, name="queue_export"),
    path("review/batch-approve/", views.batch_approve, name="batch_approve"),
    path("review/<int:application_id>/", views.detail, name="detail"),
    path("review/<int:application_id>/decide/", views.decide, name="decide"),
    path("review/<int:application_id>/recommend/", views.recommend_application, name="recommend_application"),
    path(
        "review/<int:application_id>/awards/<int:award_id>/evidence",
        views.evidence_download,
        name="evidence_download",
    ),
    # Per-member actions reached from the member detail page (members/lifecycle_urls.py).
    path("memberships/<int:membership_id>/recommend/", views.member_recommend, name="member_recommend"),
    path("memberships/<int:membership_id>/certificate.pdf", views.member_certificate, name="member_certificate"),
]
