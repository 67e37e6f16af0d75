"""The REST API under /api/v1/: administrator endpoints reach only county A's objects for actors whose
subtree holds it (404 for everyone else, as on the pages); the applicant's endpoints act on the signed-in
person's own data only.

`TOKEN_SCOPES` classifies every API endpoint for service tokens: the scope a token needs per method, or
None when the endpoint is closed to service tokens. tests/api/test_service_tokens.py fails when an API
endpoint is missing here and checks each entry with real tokens.
"""

from datetime import timedelta

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.tenancy.base import MANAGERS, READERS, Case


def extend_context(ctx, request):
    from orgs.services.service_tokens import service_token_create

    # Throttle counters live in the cache; each matrix test starts with none.
    cache.clear()
    ctx["service_token"], _secret = service_token_create(
        actor=ctx["admin_a"],
        org=ctx["county_a"],
        name="县统计系统",
        scopes=["read_progress"],
        expires_at=timezone.now() + timedelta(days=30),
    )


def _url(name, *args):
    return lambda ctx: (reverse(name, args=[a(ctx) for a in args]), None)


def _post(name, data, *args):
    return lambda ctx: (reverse(name, args=[a(ctx) for a in args]), data(ctx) if callable(data) else data)


def _county_a(ctx):
    return f"?org={ctx['county_a'].pk}"


def _upload(ctx):
    csv_bytes = "姓名,身份证号,手机号码,工作单位,学历,职称,会员等级\n".encode("utf-8")
    return (
        reverse("members_console_api:census_upload", args=[ctx["county_a"].pk]),
        {"file": SimpleUploadedFile("名单.csv", csv_bytes, content_type="text/csv")},
    )


APPLICATION = lambda c: c["review_application"].pk  # noqa: E731
MEMBERSHIP = lambda c: c["review_membership"].pk  # noqa: E731

SCOPED = [
    Case("approvals_api:queue", lambda ctx: (reverse("approvals_api:queue") + _county_a(ctx), None), READERS),
    Case("approvals_api:detail", _url("approvals_api:detail", APPLICATION), READERS),
    Case(
        "approvals_api:decide",
        _post("approvals_api:decide", {"decision": "return", "comment": "请补充证明材料"}, APPLICATION),
        MANAGERS,
    ),
    Case("approvals_api:batch_approve", _post("approvals_api:batch_approve", lambda c: {"ids": [APPLICATION(c)]}), MANAGERS),
    Case(
        "approvals_api:recommend_application",
        _post("approvals_api:recommend_application", {"opinion": "业绩突出"}, APPLICATION),
        MANAGERS,
    ),
    Case("approvals_api:recommend_member", _post("approvals_api:recommend_member", {"opinion": "业绩突出"}, MEMBERSHIP), MANAGERS),
    Case(
        "members_console_api:members",
        lambda ctx: (reverse("members_console_api:members") + _county_a(ctx), None),
        READERS,
    ),
    Case("members_console_api:member", _url("members_console_api:member", MEMBERSHIP), READERS),
    Case(
        "members_console_api:member_grade",
        _post("members_console_api:member_grade", {"grade": "senior", "category": "regular"}, MEMBERSHIP),
        MANAGERS,
    ),
    Case(
        "members_console_api:member_status",
        _post("members_console_api:member_status", {"status": "lapsed", "comment": "未缴会费"}, MEMBERSHIP),
        MANAGERS,
    ),
    Case(
        "members_console_api:member_transfer",
        _post("members_console_api:member_transfer", lambda c: {"target_org": c["county_b"].pk}, MEMBERSHIP),
        MANAGERS,
        note="admin_a does not manage county B: the target is not a valid choice (400 validation_error)",
    ),
    Case("members_console_api:member_unit", _post("members_console_api:member_unit", {"unit": ""}, MEMBERSHIP), MANAGERS),
    Case(
        "members_console_api:member_fee",
        _post("members_console_api:member_fee", {"year": 2026, "kind": "paid"}, MEMBERSHIP),
        MANAGERS,
    ),
    Case("members_console_api:units", _url("members_console_api:units", lambda c: c["county_a"].pk), READERS),
    Case("members_console_api:census_upload", _upload, MANAGERS),
    Case("members_console_api:census", _url("members_console_api:census", lambda c: c["census"].pk), READERS),
    Case("members_console_api:census_errors", _url("members_console_api:census_errors", lambda c: c["census"].pk), READERS),
    Case("members_console_api:census_commit", _post("members_console_api:census_commit", {}, lambda c: c["census"].pk), MANAGERS),
    Case("orgs_api:progress", _url("orgs_api:progress", lambda c: c["county_a"].pk), READERS),
    Case(
        "orgs_api:service_tokens",
        _post(
            "orgs_api:service_tokens",
            lambda c: {
                "org": c["county_a"].pk,
                "name": "报表",
                "scopes": ["read_progress"],
                "expires_at": (timezone.now() + timedelta(days=7)).isoformat(),
            },
        ),
        MANAGERS,
        note="GET lists only tokens of the actor's own subtree (tests/api/test_service_tokens.py)",
    ),
    Case(
        "orgs_api:webhooks",
        _post(
            "orgs_api:webhooks",
            lambda c: {"org": c["county_a"].pk, "url": "https://hooks.example.org/a", "events": ["membership.created"]},
        ),
        MANAGERS,
        note="GET lists only endpoints of the actor's own subtree (tests/api/test_webhooks_api.py)",
    ),
    Case("orgs_api:webhook_revoke", _post("orgs_api:webhook_revoke", {}, lambda c: c["webhook_endpoint"].pk), MANAGERS),
    Case("orgs_api:webhook_deliveries", _url("orgs_api:webhook_deliveries", lambda c: c["webhook_endpoint"].pk), MANAGERS),
    Case("orgs_api:webhook_redeliver", _post("orgs_api:webhook_redeliver", {}, lambda c: c["webhook_delivery"].pk), MANAGERS),
    Case(
        "orgs_api:service_token_revoke",
        _post("orgs_api:service_token_revoke", {}, lambda c: c["service_token"].pk),
        MANAGERS,
    ),
]

UNSCOPED = {
    "api:schema": "the public OpenAPI document",
    "api:docs": "Swagger UI for the OpenAPI document",
    "api:redoc": "Redoc for the OpenAPI document",
    "members_api:register": "public registration with an SMS code (rate limited per IP)",
    "members_api:sms_code": "public: a code to a mobile, limited per number and per IP",
    "members_api:password_reset": "public: recovery by a code to the account's mobile or verified email",
    "members_api:token": "public login by mobile and password (django-axes lockout)",
    "members_api:token_refresh": "exchanges one's own refresh token",
    "members_api:token_revoke": "ends one's own bearer login",
    "members_api:consent": "own consent",
    "members_api:consent_withdraw": "own consent",
    "members_api:profile": "own profile",
    "members_api:awards": "own awards",
    "members_api:award": "own award; another person's id is 404 (tests/api/test_applicant_journey.py)",
    "members_api:notices": "own notices",
    "members_api:notices_read": "own notices; other users' ids change nothing",
    "members_api:memberships": "own memberships",
    "members_api:certificate": "own certificate; another person's membership is 404 (tests/api/test_applicant_journey.py)",
    "approvals_api:org_search": "public organisation names (as the page that chooses an organisation)",
    "approvals_api:org_tree": "public organisation tree",
    "approvals_api:eligibility": "own eligibility for any organisation accepting applications",
    "approvals_api:my_applications": "own applications",
    "approvals_api:my_application": "own application; another person's id is 404 (tests/api/test_applicant_journey.py)",
    "approvals_api:withdraw": "own application",
    "approvals_api:resubmit": "own application",
}

# Service tokens: the scope each method needs (None: closed to service tokens, answers 403 token_scope).
TOKEN_SCOPES = {
    "approvals_api:queue": {"GET": "decide"},
    "approvals_api:detail": {"GET": "decide"},
    "approvals_api:decide": {"POST": "decide"},
    "approvals_api:batch_approve": {"POST": "decide"},
    "approvals_api:recommend_application": None,
    "approvals_api:recommend_member": None,
    "members_console_api:members": {"GET": "read_members"},
    "members_console_api:member": {"GET": "read_members"},
    "members_console_api:member_grade": None,
    "members_console_api:member_status": None,
    "members_console_api:units": {"GET": "read_members"},
    "members_console_api:member_transfer": None,
    "members_console_api:member_unit": None,
    "members_console_api:member_fee": None,
    "members_console_api:census_upload": None,
    "members_console_api:census": None,
    "members_console_api:census_errors": None,
    "members_console_api:census_commit": None,
    "orgs_api:progress": {"GET": "read_progress"},
    "orgs_api:service_tokens": None,
    "orgs_api:service_token_revoke": None,
    "orgs_api:webhooks": None,
    "orgs_api:webhook_revoke": None,
    "orgs_api:webhook_deliveries": None,
    "orgs_api:webhook_redeliver": None,
    "members_api:token_revoke": None,
    "members_api:consent": None,
    "members_api:consent_withdraw": None,
    "members_api:profile": None,
    "members_api:awards": None,
    "members_api:award": None,
    "members_api:notices": None,
    "members_api:notices_read": None,
    "members_api:memberships": None,
    "members_api:certificate": None,
    "approvals_api:eligibility": None,
    "approvals_api:my_applications": None,
    "approvals_api:my_application": None,
    "approvals_api:withdraw": None,
    "approvals_api:resubmit": None,
    # Public: a token is simply not needed.
    "api:schema": "public",
    "api:docs": "public",
    "api:redoc": "public",
    "members_api:register": "public",
    "members_api:sms_code": "public",
    "members_api:password_reset": "public",
    "members_api:token": "public",
    "members_api:token_refresh": "public",
    "approvals_api:org_search": "public",
    "approvals_api:org_tree": "public",
}
