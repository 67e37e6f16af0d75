from django.urls import reverse

from tests.tenancy.base import READERS, Case


def _set_active(ctx):
    return reverse("orgs:account_set_active", args=[ctx["county_a_admin2"].pk, 0]), {}


# The audit trail filtered to county A: its administrators above and the 审计管理员 over the city read it.
AUDIT_READERS = frozenset({"admin_a", "city_admin", "province_admin", "audit_officer"})


def _audit(url_name, *args):
    return lambda ctx: (f"{reverse(url_name, args=args)}?org={ctx['county_a'].pk}", None)


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
    "orgs:account_create": "form; the org choices are scoped and a tampered org is 404 (tests/orgs/test_views.py)",
    "orgs:staff_create": "province administrators only (tests/orgs/test_views.py)",
    "orgs:officer_create": "安全管理员 only; the org choices are the officer's subtree (tests/orgs/test_officers.py)",
    "orgs:audit_verify": "审计管理员 only: verifies the whole chain, shows no row (tests/orgs/test_audit_console.py)",
    "orgs:system_org_list": "系统管理员 only; lists the officer's subtree (tests/orgs/test_officers.py)",
    "members:me": "own data",
}
