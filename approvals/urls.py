"""Console pages of approvals: the workbench, the review queue and decisions, recommendations, the organisation tree with its
counts, and the annual report."""

from django.urls import path

from approvals.views import org_tree, reports, review, workbench

app_name = "approvals"

urlpatterns = [
    path("", workbench.workbench, name="workbench"),
    path("orgs/", org_tree.org_tree, name="org_tree"),
    path("review/", review.queue, name="queue"),
    path("review/export.csv", review.queue_export, name="queue_export"),
    path("review/batch-approve/", review.batch_approve, name="batch_approve"),
    path("review/<int:application_id>/", review.detail, name="detail"),
    path("review/<int:application_id>/decide/", review.decide, name="decide"),
    path("review/<int:application_id>/recommend/", review.recommend_application, name="recommend_application"),
    path(
        "review/<int:application_id>/awards/<int:award_id>/evidence",
        review.evidence_download,
        name="evidence_download",
    ),
    path(
        "review/<int:application_id>/awards/<int:award_id>/evidence/view",
        review.evidence_view,
        name="evidence_view",
    ),
    # Recommending a member, reached from the member's page (members/urls_console.py).
    path("memberships/<int:membership_id>/recommend/", review.member_recommend, name="member_recommend"),
    path("orgs/<int:org_id>/report/<int:year>/", reports.report, name="report"),
    path("orgs/<int:org_id>/report/<int:year>/xlsx/", reports.report_xlsx, name="report_xlsx"),
]
