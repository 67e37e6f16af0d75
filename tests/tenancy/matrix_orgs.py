from django.urls import reverse

from tests.tenancy.base import MANAGERS, READERS, Case


def extend_context(ctx, request):
    """A webhook endpoint on county A with one delivery that has been given up (so it may be redelivered)."""
    from orgs.models import WebhookDelivery, WebhookEndpoint
    from orgs.services.webhooks import webhook_endpoint_create, webhook_event_record

    ctx["webhook_endpoint"], _secret = webhook_endpoint_create(
        actor=ctx["admin_a"], org=ctx["county_a"], url="https://hooks.example.org/kexie",
        events=[WebhookEndpoint.Event.APPLICATION_SUBMITTED],
    )
    webhook_event_record(org=ctx["county_a"], event=WebhookEndpoint.Event.APPLICATION_SUBMITTED, payload={"application": {"id": 1}})
    ctx["webhook_delivery"] = WebhookDelivery.objects.get(endpoint=ctx["webhook_endpoint"])
    WebhookDelivery.objects.filter(pk=ctx["webhook_delivery"].pk).update(status=WebhookDelivery.Status.FAILED)


def _set_active(ctx):
    return reverse("orgs:account_set_active", args=[ctx["county_a_admin2"].pk, 0]), {}


# The audit trail filtered to county A: its administrators above and the 审计管理员 over the city read it.
AUDIT_READERS = frozenset({"admin_a", "city_admin", "province_admin", "audit_officer"})


def _audit(url_name, *args):
    return lambda ctx: (f"{reverse(url_name, args=args)}?org={ctx['county_a'].pk}", None)


def _two_factor_reset(ctx):
    return reverse("orgs:account_two_factor_reset", args=[ctx["county_a_admin2"].pk]), {}


SCOPED = [
    Case("orgs:detail", lambda ctx: (reverse("orgs:detail", args=[ctx["county_a"].pk]), None), READERS),
    # Only administrators strictly above county A manage its accounts.
    # ... and the 安全管理员 over the city.
    Case("orgs:account_set_active", _set_active, frozenset({"city_admin", "province_admin", "security_officer"})),
    Case("orgs:audit_list", _audit("orgs:audit_list"), AUDIT_READERS),
    Case("orgs:audit_export", _audit("orgs:audit_export", "csv"), AUDIT_READERS),
    # The 系统管理员 over the city opens and closes county A to applications; nobody else may.
    Case(
        "orgs:system_org_accepting",
        lambda ctx: (reverse("orgs:system_org_accepting", args=[ctx["county_a"].pk, 0]), {}),
        frozenset({"system_officer"}),
    ),
    # The same for resetting a lost authenticator (audited), which the 安全管理员 does too.
    Case(
        "orgs:account_two_factor_reset", _two_factor_reset,
        frozenset({"city_admin", "province_admin", "security_officer"}),
    ),
    # Webhooks are managed, not read: provincial staff do not see them either.
    Case("orgs:webhook_detail", lambda ctx: (reverse("orgs:webhook_detail", args=[ctx["webhook_endpoint"].pk]), None), MANAGERS),
    Case("orgs:webhook_revoke", lambda ctx: (reverse("orgs:webhook_revoke", args=[ctx["webhook_endpoint"].pk]), {}), MANAGERS),
    Case(
        "orgs:webhook_redeliver",
        lambda ctx: (reverse("orgs:webhook_redeliver", args=[ctx["webhook_delivery"].pk]), {}),
        MANAGERS,
    ),
    # The level above sets an organisation's handling time limit.
    Case(
        "orgs:handling_days",
        lambda ctx: (reverse("orgs:handling_days", args=[ctx["county_a"].pk]), {"days": "12"}),
        frozenset({"city_admin", "province_admin"}),
    ),
]

UNSCOPED = {
    "home": "public landing page",
    "healthz": "health check, no data",
    "readyz": "readiness probe, no data",
    "login": "authentication",
    "logout": "authentication",
    "password_change": "own account",
    "password_change_done": "own account",
    # Lists: their contents are scoped by orgs.selectors; tests/orgs/test_views.py proves no leak.
    "approvals:org_tree": "scoped list (tests/orgs/test_views.py)",
    "orgs:account_list": "scoped list (tests/orgs/test_views.py)",
    "orgs:account_create": "form; the org choices are scoped and a tampered org is refused by the form (tests/orgs/test_views.py)",
    "orgs:staff_create": "province administrators only (tests/orgs/test_views.py)",
    "orgs:officer_create": "安全管理员 only; the org choices are the officer's subtree (tests/orgs/test_officers.py)",
    "orgs:audit_verify": "审计管理员 only: verifies the whole chain, shows no row (tests/orgs/test_audit_console.py)",
    "orgs:system_org_list": "系统管理员 only; lists the officer's subtree (tests/orgs/test_officers.py)",
    "members:me": "own data",
    # One's own second factor (console users only; others get 404 from console_required).
    "orgs:two_factor": "own account",
    "orgs:two_factor_setup": "own account",
    "orgs:two_factor_verify": "own account",
    "orgs:two_factor_codes_regenerate": "own account",
    "orgs:webhook_list": "scoped list and form: endpoints and org choices of the actor's subtree only; an org "
    "outside it is refused (tests/orgs/test_webhook_pages.py)",
}
