"""Administrator endpoints of members under /api/v1/."""

from django.urls import path

from members.api import console

app_name = "members_console_api"

urlpatterns = [
    path("members/", console.MemberListView.as_view(), name="members"),
    path("members/<int:pk>/", console.MemberDetailView.as_view(), name="member"),
    path("members/<int:pk>/grade/", console.MemberGradeView.as_view(), name="member_grade"),
    path("members/<int:pk>/status/", console.MemberStatusView.as_view(), name="member_status"),
    path("orgs/<int:org_id>/census/", console.CensusUploadView.as_view(), name="census_upload"),
    path("census/<int:pk>/", console.CensusStatusView.as_view(), name="census"),
]
