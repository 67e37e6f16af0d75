"""The applicant's and member's own pages (no namespace prefix in their paths)."""

from django.urls import path

from members.views import census, certificates, data_rights, fees, notices, password_recovery, people

app_name = "members"

urlpatterns = [
    path("register/", people.register, name="register"),
    path("consent/", people.consent, name="consent"),
    path("consent/withdraw/", people.consent_withdraw, name="consent_withdraw"),
    path("me/", people.me, name="me"),
    path("me/profile/", people.profile, name="profile"),
    path("me/mobile/", people.mobile_change, name="mobile_change"),
    path("me/email/", people.email_verify, name="email_verify"),
    path("accounts/password/reset/", password_recovery.password_reset, name="password_reset"),
    path("me/awards/new/", people.award_create, name="award_create"),
    path("me/awards/<int:pk>/", people.award_edit, name="award_edit"),
    path("me/awards/<int:pk>/delete/", people.award_delete, name="award_delete"),
    path("me/awards/<int:pk>/evidence", people.award_evidence, name="award_evidence"),
    path("me/data/", data_rights.my_data, name="data"),
    path("me/data/export.json", data_rights.my_data_json, name="data_export_json"),
    path("me/data/export.xlsx", data_rights.my_data_xlsx, name="data_export_xlsx"),
    path("me/delete/", data_rights.account_delete, name="account_delete"),
    path("me/notices/", notices.notice_list, name="notice_list"),
    path("me/notices/read/", notices.notice_read, name="notice_read"),
    path("me/fees/", fees.me_fees, name="me_fees"),
    path("me/memberships/<int:membership_id>/", certificates.my_membership, name="membership"),
    path("me/fees/<int:membership_id>/<int:year>/pay/", fees.me_fee_pay, name="me_fee_pay"),
    path("me/receipts/<int:receipt_id>.pdf", fees.me_receipt, name="me_receipt"),
    path("me/renewal/", fees.me_renewal, name="me_renewal"),
    path("me/renewal/<int:membership_id>/", fees.me_renewal_confirm, name="me_renewal_confirm"),
    # The re-registration page reached from a census invitation (no login).
    path("rereg/<str:token>/", census.claim, name="claim"),
]
