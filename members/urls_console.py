"""Console pages of members: the member directory and a member's page, unit members, fees and the census."""

from django.urls import path

from members.views import census, certificates, directory, fees, units

app_name = "console_members"

urlpatterns = [
    path("lifecycle/", directory.home, name="home"),
    path("members/", directory.member_list, name="member_list"),
    path("members/export.xlsx", directory.member_export, name="member_export"),
    path("orgs/<int:org_id>/units/", units.unit_list, name="units"),
    path("orgs/<int:org_id>/units/new/", units.unit_create, name="unit_create"),
    path("orgs/<int:org_id>/fees/", fees.fee_list, name="fees"),
    path("orgs/<int:org_id>/fees/set/", fees.fee_set, name="fee_set"),
    path("orgs/<int:org_id>/fees/instructions/", fees.fee_instructions, name="fee_instructions"),
    path("orgs/<int:org_id>/fees/members/", fees.fee_members, name="fee_members"),
    path("orgs/<int:org_id>/fees/members/record/", fees.fee_record, name="fee_record"),
    path("orgs/<int:org_id>/fees/payments/", fees.dues_list, name="dues"),
    path("orgs/<int:org_id>/renewal-window/", fees.renewal_window_set, name="renewal_window_set"),
    path("fee-payments/<int:payment_id>/proof", fees.dues_proof, name="dues_proof"),
    path("fee-payments/<int:payment_id>/confirm/", fees.dues_confirm, name="dues_confirm"),
    path("fee-payments/<int:payment_id>/reject/", fees.dues_reject, name="dues_reject"),
    path("fee-receipts/<int:receipt_id>.pdf", fees.receipt_download, name="receipt_download"),
    path("orgs/<int:org_id>/census/", census.census_list, name="census"),
    path("orgs/<int:org_id>/census/upload/", census.census_upload, name="census_upload"),
    path("orgs/<int:org_id>/census/people/", census.census_people, name="census_people"),
    path("orgs/<int:org_id>/census/people/export.xlsx", census.census_people_export, name="census_people_export"),
    path("orgs/<int:org_id>/census/people/resend/", census.census_resend, name="census_resend"),
    path("census/template.xlsx", census.census_template, name="census_template"),
    path("memberships/<int:membership_id>/", directory.member_detail, name="member_detail"),
    path("memberships/<int:membership_id>/grade/", directory.member_grade, name="member_grade"),
    path("memberships/<int:membership_id>/unit/", directory.member_unit, name="member_unit"),
    path("memberships/<int:membership_id>/fee/", directory.member_fee, name="member_fee"),
    path("memberships/<int:membership_id>/status/", directory.member_status, name="member_status"),
    path("memberships/<int:membership_id>/transfer/", directory.member_transfer, name="member_transfer"),
    path(
        "memberships/<int:membership_id>/certificate.pdf", certificates.member_certificate, name="member_certificate"
    ),
    path("census/<int:census_id>/", census.census_detail, name="census_detail"),
    path("census/<int:census_id>/status/", census.census_status, name="census_status"),
    path("census/<int:census_id>/commit/", census.census_commit, name="census_commit"),
    path("census/<int:census_id>/retry/", census.census_retry, name="census_retry"),
    path("census/<int:census_id>/errors/", census.census_errors, name="census_errors"),
]
