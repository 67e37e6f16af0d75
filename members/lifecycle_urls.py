from django.urls import path

from members import lifecycle_views as views

app_name = "lifecycle"

urlpatterns = [
    path("lifecycle/", views.home, name="home"),
    path("members/", views.member_list, name="member_list"),
    path("members/export.xlsx", views.member_export, name="member_export"),
    path("orgs/<int:org_id>/units/", views.unit_list, name="units"),
    path("orgs/<int:org_id>/units/new/", views.unit_create, name="unit_create"),
    path("orgs/<int:org_id>/fees/", views.fee_list, name="fees"),
    path("orgs/<int:org_id>/fees/set/", views.fee_set, name="fee_set"),
    path("orgs/<int:org_id>/census/", views.census_list, name="census"),
    path("orgs/<int:org_id>/census/upload/", views.census_upload, name="census_upload"),
    path("orgs/<int:org_id>/report/<int:year>/", views.report, name="report"),
    path("orgs/<int:org_id>/report/<int:year>/xlsx/", views.report_xlsx, name="report_xlsx"),
    path("memberships/<int:membership_id>/", views.member_detail, name="member_detail"),
    path("memberships/<int:membership_id>/grade/", views.member_grade, name="member_grade"),
    path("memberships/<int:membership_id>/unit/", views.member_unit, name="member_unit"),
    path("memberships/<int:membership_id>/fee/", views.member_fee, name="member_fee"),
    path("memberships/<int:membership_id>/status/", views.member_status, name="member_status"),
    path("memberships/<int:membership_id>/transfer/", views.member_transfer, name="member_transfer"),
    path("census/<int:census_id>/", views.census_detail, name="census_detail"),
    path("census/<int:census_id>/status/", views.census_status, name="census_status"),
    path("census/<int:census_id>/commit/", views.census_commit, name="census_commit"),
    path("census/<int:census_id>/retry/", views.census_retry, name="census_retry"),
    path("census/<int:census_id>/errors/", views.census_errors, name="census_errors"),
]
