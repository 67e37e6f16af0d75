"""Webhooks through the API: an administrator registers an endpoint for their subtree (secret shown once),
lists endpoints and deliveries with their responses, redelivers and revokes; everything outside the subtree
is 404 and service tokens cannot manage webhooks (tests/tenancy/matrix_api.py)."""

import pytest

from orgs.models import AuditEvent, WebhookDelivery, WebhookEndpoint
from orgs.services.webhooks import webhook_secret

pytestmark = pytest.mark.django_db


def _create(api, org, url="https://hooks.example.org/kexie", events=("application.submitted",)):
    return api.post("/api/v1/webhooks/", {"org": org.pk, "url": url, "events": list(events)}, format="json")


def test_register_list_deliveries_redeliver_and_revoke(api, admin_a, county_a, submit):
    api.force_login(admin_a)
    created = _create(api, county_a)
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["application.submitted"] and body["is_active"]
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert webhook_secret(endpoint) == body["secret"]

    listed = api.get("/api/v1/webhooks/").json()["results"]
    assert [e["id"] for e in listed] == [endpoint.pk] and "secret" not in listed[0]

    submit(county_a, "韩一")
    delivery = endpoint.deliveries.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED, response_status=500, response_body="boom"
    )
    deliveries = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()["results"]
    assert len(deliveries) == 1
    row = deliveries[0]
    assert row["delivery_id"] == str(delivery.delivery_id) and row["status"] == "failed"
    assert row["response_status"] == 500 and row["response_body"] == "boom"
    assert row["payload"]["data"]["person"]["id_number_masked"].count("*") == 8

    again = api.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver/")
    assert again.status_code == 202
    assert again.json()["redelivery_of"] == str(delivery.delivery_id) and again.json()["status"] == "pending"
    assert again.json()["event_id"] == str(delivery.event_id)

    revoked = api.post(f"/api/v1/webhooks/{endpoint.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] and not revoked.json()["is_active"]
    assert AuditEvent.objects.filter(action="webhook.revoke", object_id=str(endpoint.pk)).exists()
    refused = api.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver/")
    assert refused.status_code == 400 and refused.json()["code"] == "rule_violation"


def test_urls_and_events_are_validated_with_field_messages(api, settings, admin_a, county_a):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    api.force_login(admin_a)
    plain = _create(api, county_a, url="http://hooks.example.org/kexie")
    assert plain.status_code == 400 and plain.json()["code"] == "validation_error"
    assert plain.json()["fields"]["url"] == ["只能使用 HTTPS 地址（https://）"]
    inward = _create(api, county_a, url="https://10.0.0.8/kexie")
    assert inward.json()["fields"]["url"] == ["不能使用本机或内部网络地址"]
    no_events = _create(api, county_a, events=())
    assert no_events.status_code == 400 and "events" in no_events.json()["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_outside_the_subtree_is_404_and_lists_hold_only_the_own_subtree(
    api, admin_a, admin_b, city_admin, county_a, county_b, city
):
    """County B's administrator cannot register on, list, read or act on county A's endpoint; the city sees
    both counties' endpoints and its own."""
    api.force_login(admin_a)
    endpoint_a = _create(api, county_a).json()["id"]
    api.force_login(admin_b)
    assert _create(api, county_a).status_code == 404
    endpoint_b = _create(api, county_b).json()["id"]
    assert [e["id"] for e in api.get("/api/v1/webhooks/").json()["results"]] == [endpoint_b]
    assert api.get(f"/api/v1/webhooks/{endpoint_a}/deliveries/").status_code == 404
    assert api.post(f"/api/v1/webhooks/{endpoint_a}/revoke/").status_code == 404
    api.force_login(city_admin)
    endpoint_city = _create(api, city).json()["id"]
    listed = {e["id"] for e in api.get("/api/v1/webhooks/").json()["results"]}
    assert listed == {endpoint_a, endpoint_b, endpoint_city}
