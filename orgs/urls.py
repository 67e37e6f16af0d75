from django.urls import path

from orgs import views
from orgs.views import audit, system, two_factor

app_name = "orgs"

urlpatterns = [
    path("orgs/<int:org_id>/", views.org_detail, name="detail"),
    path("orgs/<int:org_id>/handling-days/", views.org_handling_days, name="handling_days"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/staff/new/", views.staff_create, name="staff_create"),
    path("accounts/officers/new/", views.officer_create, name="officer_create"),
    path("accounts/<int:user_id>/active/<int:active>/", views.account_set_active, name="account_set_active"),
    path(
        "accounts/<int:user_id>/two-factor/reset/",
        two_factor.account_two_factor_reset,
        name="account_two_factor_reset",
    ),
    path("two-factor/", two_factor.two_factor_manage, name="two_factor"),
    path("two-factor/setup/", two_factor.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", two_factor.two_factor_verify, name="two_factor_verify"),
    path("two-factor/recovery-codes/", two_factor.two_factor_codes_regenerate, name="two_factor_codes_regenerate"),
    path("dashboard/", views.progress_dashboard, name="dashboard"),
    path("dashboard/export/", views.progress_dashboard_export, name="dashboard_export"),
    path("targets/", views.target_list, name="target_list"),
    path("targets/<int:org_id>/<int:year>/", views.target_edit, name="target_edit"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/export.<str:file_format>", audit.audit_export, name="audit_export"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
    path("system/orgs/", system.system_org_list, name="system_org_list"),
    path("system/orgs/<int:org_id>/accepting/<int:accepting>/", system.system_org_accepting, name="system_org_accepting"),
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/<int:endpoint_id>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:endpoint_id>/revoke/", views.webhook_revoke, name="webhook_revoke"),
    path("webhooks/deliveries/<int:delivery_id>/redeliver/", views.webhook_redeliver, name="webhook_redeliver"),
]
