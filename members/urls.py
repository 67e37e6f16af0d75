from django.urls import path

from members import views

app_name = "members"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("consent/", views.consent, name="consent"),
    path("consent/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("me/", views.me, name="me"),
    path("me/profile/", views.profile, name="profile"),
    path("me/awards/new/", views.award_create, name="award_create"),
    path("me/awards/<int:pk>/", views.award_edit, name="award_edit"),
    path("me/awards/<int:pk>/delete/", views.award_delete, name="award_delete"),
    path("me/awards/<int:pk>/evidence", views.award_evidence, name="award_evidence"),
    path("orgs/choose/", views.org_choose, name="org_choose"),
    path("me/apply/<int:org_id>/", views.apply, name="apply"),
    path("me/applications/", views.application_list, name="application_list"),
    path("me/applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("me/applications/<int:pk>/resubmit/", views.application_resubmit_view, name="application_resubmit"),
    path("me/applications/<int:pk>/withdraw/", views.application_withdraw_view, name="application_withdraw"),
    path("me/data/", views.my_data, name="data"),
    path("me/data/export.json", views.my_data_json, name="data_export_json"),
    path("me/data/export.xlsx", views.my_data_xlsx, name="data_export_xlsx"),
    path("me/delete/", views.account_delete, name="account_delete"),
    path("me/notices/", views.notice_list, name="notice_list"),
    path("me/notices/read/", views.notice_read, name="notice_read"),
]
