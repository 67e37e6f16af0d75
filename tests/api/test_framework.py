"""Cross-cutting API behaviour: per-user rate limits and idempotency keys that refuse a changed body."""

import uuid

import pytest
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    """Lower rates for one test (DRF reads them into the throttle class once, at import)."""

    def set_rates(**rates):
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "100/min", "user": "100/min", "token": "100/min", **rates})

    return set_rates


def test_rate_limit_per_user_counts_session_calls(api, rates, make_applicant):
    rates(user="2/min")
    api.force_login(make_applicant("戊").user)
    assert [api.get("/api/v1/me/profile/").status_code for _ in range(3)] == [200, 200, 429]
    body = api.get("/api/v1/me/profile/").json()
    assert body["code"] == "rate_limited" and "秒" in body["message"]


def test_an_idempotency_key_reused_with_another_body_is_refused(api, make_applicant, consented, county_a, county_b):
    person = make_applicant("己")
    consented(person.user)
    api.force_login(person.user)
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    first = api.post("/api/v1/me/applications/", {"org": county_a.pk, "declaration": True}, format="json", **key)
    assert first.status_code == 201
    other = api.post("/api/v1/me/applications/", {"org": county_b.pk, "declaration": True}, format="json", **key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    # Without the key the domain rule still holds: one open application per person and organisation.
    duplicate = api.post("/api/v1/me/applications/", {"org": county_a.pk, "declaration": True}, format="json")
    assert duplicate.status_code == 400 and duplicate.json()["code"] == "rule_violation"
