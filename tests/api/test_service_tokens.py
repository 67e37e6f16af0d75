"""Service tokens: created by an administrator for an organisation in their subtree, shown once, stored
hashed, expiring, revocable and audited; a token reaches exactly its organisation's subtree (sub-levels
included) and only the endpoints of its scopes. Every API endpoint is classified for tokens in
tests/tenancy/matrix_api.TOKEN_SCOPES."""

from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from approvals import services as approval_services
from orgs.models import AuditEvent, ServiceToken
from orgs.services.service_tokens import service_token_create
from tests.api.conftest import bearer
from tests.tenancy.matrix_api import TOKEN_SCOPES

pytestmark = pytest.mark.django_db

ALL_SCOPES = ["decide", "read_members", "read_progress"]


def _token(actor, org, scopes, days=30):
    _token_row, secret = service_token_create(
        actor=actor, org=org, name="报表系统", scopes=scopes, expires_at=timezone.now() + timedelta(days=days)
    )
    return secret


def _api_url_names():
    names = []
    for pattern in get_resolver().url_patterns:
        namespace = getattr(pattern, "namespace", None)
        if namespace in {"api", "orgs_api", "members_api", "members_console_api", "approvals_api"}:
            names += [(f"{namespace}:{p.name}", p) for p in pattern.url_patterns]
    return names


def test_every_api_endpoint_is_classified_for_service_tokens():
    """A new endpoint that does not say which scope it needs (or that tokens may not call it) fails here."""
    names = {name for name, _pattern in _api_url_names()}
    assert names - set(TOKEN_SCOPES) == set(), "API endpoints missing from TOKEN_SCOPES"
    assert set(TOKEN_SCOPES) - names == set(), "TOKEN_SCOPES names endpoints that no longer exist"


def _dummy_url(name, pattern):
    args = [1] * len(pattern.pattern.converters)
    return reverse(name, args=args)


def test_each_endpoint_refuses_tokens_without_its_scope_and_admits_tokens_with_it(api, admin_a, county_a):
    """Closed endpoints refuse even an all-scope token (403 token_scope); scoped ones refuse every other
    scope and let the named one through to the scope check of the selectors."""
    secrets = {scope: _token(admin_a, county_a, [scope]) for scope in ALL_SCOPES}
    everything = _token(admin_a, county_a, ALL_SCOPES)
    for name, pattern in _api_url_names():
        rule = TOKEN_SCOPES[name]
        if rule == "public":
            continue
        url = _dummy_url(name, pattern)
        if rule is None:
            for method in ("get", "post"):
                response = getattr(api, method)(url, **bearer(everything))
                if response.status_code != 405:
                    assert response.status_code == 403 and response.json()["code"] == "token_scope", (name, method)
            continue
        for method, scope in rule.items():
            call = getattr(api, method.lower())
            for other in set(ALL_SCOPES) - {scope}:
                refused = call(url, **bearer(secrets[other]))
                assert refused.status_code == 403 and refused.json()["code"] == "token_scope", (name, other)
            assert call(url, **bearer(secrets[scope])).status_code != 403, name


def test_a_token_reaches_its_org_and_sub_levels_and_nothing_else(api, city_admin, city, county_a, county_b, other_city, province):
    """A city token reads the city and its counties; another city and the province above answer 404."""
    secret = _token(city_admin, city, ["read_progress"])
    for org in (city, county_a, county_b):
        assert api.get(f"/api/v1/orgs/{org.pk}/progress/", **bearer(secret)).status_code == 200
    for org in (other_city, province):
        response = api.get(f"/api/v1/orgs/{org.pk}/progress/", **bearer(secret))
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_county_token_does_not_reach_its_sibling_even_for_a_city_creator(api, city_admin, county_a, county_b):
    """The token is narrower than its creator: a city administrator's county A token never sees county B."""
    secret = _token(city_admin, county_a, ["read_progress", "read_members"])
    assert api.get(f"/api/v1/orgs/{county_a.pk}/progress/", **bearer(secret)).status_code == 200
    assert api.get(f"/api/v1/orgs/{county_b.pk}/progress/", **bearer(secret)).status_code == 404
    assert api.get(f"/api/v1/members/?org={county_b.pk}", **bearer(secret)).status_code == 404


def test_created_once_shown_once_stored_hashed_and_audited(api, admin_a, county_a, county_b):
    """The administrator creates a token through the API: the secret is in that response only."""
    api.force_login(admin_a)
    created = api.post(
        "/api/v1/service-tokens/",
        {"org": county_a.pk, "name": "县报表", "scopes": ["read_progress"], "expires_at": (timezone.now() + timedelta(days=90)).isoformat()},
        format="json",
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("kxs_")
    row = ServiceToken.objects.get(pk=created.json()["id"])
    assert secret not in str(row.__dict__) and row.secret_hash != secret
    listed = api.get("/api/v1/service-tokens/").json()["results"]
    assert [t["id"] for t in listed] == [row.pk] and "secret" not in listed[0]
    assert AuditEvent.objects.filter(action="service_token.create", object_id=str(row.pk), actor=admin_a).exists()
    # An organisation outside the administrator's subtree is 404, as everywhere.
    outside = api.post(
        "/api/v1/service-tokens/",
        {"org": county_b.pk, "name": "x", "scopes": ["read_progress"], "expires_at": (timezone.now() + timedelta(days=1)).isoformat()},
        format="json",
    )
    assert outside.status_code == 404
    api.logout()
    assert api.get(f"/api/v1/orgs/{county_a.pk}/progress/", **bearer(secret)).status_code == 200


def test_revoked_expired_and_orphaned_tokens_stop_working(api, make_admin, county_a):
    admin = make_admin(county_a, "county_a_token_admin")
    secret = _token(admin, county_a, ["read_progress"])
    url = f"/api/v1/orgs/{county_a.pk}/progress/"
    assert api.get(url, **bearer(secret)).status_code == 200

    api.force_login(admin)
    token_id = ServiceToken.objects.get(created_by=admin).pk
    assert api.post(f"/api/v1/service-tokens/{token_id}/revoke/").status_code == 200
    api.logout()
    refused = api.get(url, **bearer(secret))
    assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"
    assert AuditEvent.objects.filter(action="service_token.revoke", object_id=str(token_id)).exists()

    expired = _token(admin, county_a, ["read_progress"])
    ServiceToken.objects.filter(revoked_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.get(url, **bearer(expired)).status_code == 401

    # The creator loses the grant: the token reaches nothing any more.
    orphaned = _token(admin, county_a, ["read_progress"])
    from orgs import permissions

    permissions.revoke_administer(admin, county_a)
    assert api.get(url, **bearer(orphaned)).status_code == 404


def test_a_decide_token_decides_in_its_subtree_and_the_audit_names_the_token(api, admin_a, county_a, make_applicant):
    person = make_applicant("丁")
    application = approval_services.application_submit(person=person, org=county_a, declaration_accepted=True)
    read_only = _token(admin_a, county_a, ["read_progress"])
    decide = _token(admin_a, county_a, ["decide"])
    url = f"/api/v1/review/applications/{application.pk}/decision/"
    assert api.post(url, {"decision": "approve"}, format="json", **bearer(read_only)).status_code == 403
    response = api.post(url, {"decision": "approve"}, format="json", **bearer(decide))
    assert response.status_code == 200 and response.json()["member_number"]
    event = AuditEvent.objects.get(action="application.approve", object_id=str(application.pk))
    token = ServiceToken.objects.get(scopes=["decide"])
    assert event.actor == admin_a and event.data["credential"] == f"service_token:{token.pk}"


def test_rate_limit_per_token(api, admin_a, county_a, monkeypatch):
    """Past the per-token rate the token gets 429 rate_limited; another token of the same creator does not."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "100/min", "user": "1000/min", "token": "3/min"})
    first, second = _token(admin_a, county_a, ["read_progress"]), _token(admin_a, county_a, ["read_progress"])
    url = f"/api/v1/orgs/{county_a.pk}/progress/"
    codes = [api.get(url, **bearer(first)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert api.get(url, **bearer(first)).json()["code"] == "rate_limited"
    assert api.get(url, **bearer(second)).status_code == 200
