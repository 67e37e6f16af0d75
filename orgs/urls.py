from django.urls import path

from orgs import views, views_two_factor

app_name = "orgs"

urlpatterns = [
    path("orgs/<int:org_id>/", views.org_detail, name="detail"),
    path("orgs/<int:org_id>/handling-days/", views.org_handling_days, name="handling_days"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/staff/new/", views.staff_create, name="staff_create"),
    path("accounts/<int:user_id>/active/<int:active>/", views.account_set_active, name="account_set_active"),
    path(
        "accounts/<int:user_id>/two-factor/reset/",
        views_two_factor.account_two_factor_reset,
        name="account_two_factor_reset",
    ),
    path("two-factor/", views_two_factor.two_factor_manage, name="two_factor"),
    path("two-factor/setup/", views_two_factor.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views_two_factor.two_factor_verify, name="two_factor_verify"),
    path("two-factor/recovery-codes/", views_two_factor.two_factor_codes_regenerate, name="two_factor_codes_regenerate"),
    path("dashboard/", views.progress_dashboard, name="dashboard"),
    path("dashboard/export/", views.progress_dashboard_export, name="dashboard_export"),
    path("targets/", views.target_list, name="target_list"),
    path("targets/<int:org_id>/<int:year>/", views.target_edit, name="target_edit"),
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/<int:endpoint_id>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:endpoint_id>/revoke/", views.webhook_revoke, name="webhook_revoke"),
    path("webhooks/deliveries/<int:delivery_id>/redeliver/", views.webhook_redeliver, name="webhook_redeliver"),
]
