"""Administrator endpoints of members under /api/v1/."""

from django.urls import path

from members.api import console

app_name = "members_console_api"

urlpatterns = [
    path("members/", console.MemberListView.as_view(), name="members"),
    path("members/<int:pk>/", console.MemberDetailView.as_view(), name="member"),
    path("members/<int:pk>/grade/", console.MemberGradeView.as_view(), name="member_grade"),
    path("members/<int:pk>/status/", console.MemberStatusView.as_view(), name="member_status"),
    path("members/<int:pk>/transfer/", console.MemberTransferView.as_view(), name="member_transfer"),
    path("members/<int:pk>/unit/", console.MemberUnitView.as_view(), name="member_unit"),
    path("members/<int:pk>/fees/", console.MemberFeeView.as_view(), name="member_fee"),
    path("orgs/<int:org_id>/units/", console.UnitListView.as_view(), name="units"),
    path("orgs/<int:org_id>/census/", console.CensusUploadView.as_view(), name="census_upload"),
    path("census/<int:pk>/", console.CensusStatusView.as_view(), name="census"),
    path("census/<int:pk>/commit/", console.CensusCommitView.as_view(), name="census_commit"),
    path("census/<int:pk>/errors/", console.CensusErrorsView.as_view(), name="census_errors"),
]
