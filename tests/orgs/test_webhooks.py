"""Webhooks against a local receiver (tests/orgs/conftest.py): deliveries are written in the event's
transaction, signed with HMAC-SHA256 over "<timestamp>.<body>", carry a delivery id, reach the endpoints of the
event's organisation and of every organisation above it, retry with backoff for 24 hours and then give up,
never follow a redirect, refuse private targets in production and carry masked ID numbers only."""

import hashlib
import hmac
import json
import re
import socket
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from approvals import services as approval_services
from kexie.outbound import OutboundRefused, outbound_post
from members.crypto import decrypt_id_number
from members.models import Membership, Person
from members.services.memberships import membership_grade_set
from orgs.models import AuditEvent, WebhookDelivery, WebhookEndpoint
from orgs.services import webhooks as services
from tests.conftest import valid_id_number

pytestmark = pytest.mark.django_db

Event = WebhookEndpoint.Event
ALL_EVENTS = list(Event.values)
FULL_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")


def _endpoint(actor, org, url, events=ALL_EVENTS):
    return services.webhook_endpoint_create(actor=actor, org=org, url=url, events=events, description="测试接收端")


def _verify(secret: str, request: dict) -> bool:
    """What a receiver does (the README's snippet): recompute the signature over timestamp "." body."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    signed = headers["x-kexie-timestamp"].encode() + b"." + request["body"]
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-kexie-signature"])


def _header(request: dict, name: str) -> str:
    return {k.lower(): v for k, v in request["headers"].items()}[name.lower()]


def test_a_submitted_application_is_posted_signed_with_its_delivery_id(
    receiver, admin_a, county_a, make_applicant, django_capture_on_commit_callbacks
):
    """The receiver gets one POST whose signature verifies with the secret shown at registration; a body
    changed by one byte no longer verifies. The row records the answer."""
    endpoint, secret = _endpoint(admin_a, county_a, receiver.url)
    receiver.reply(200, '{"received": true}')
    person = make_applicant("赵一")
    with django_capture_on_commit_callbacks(execute=True):
        application = approval_services.application_submit(person=person, org=county_a, declaration_accepted=True)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == "/hooks/kexie"
    assert _verify(secret, request)
    assert not _verify(secret, {**request, "body": request["body"].replace(b"}", b" }", 1)})
    assert not _verify("whsec_another", request)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert _header(request, "X-Kexie-Delivery") == str(delivery.delivery_id)
    assert _header(request, "X-Kexie-Event") == "application.submitted"
    assert abs(int(_header(request, "X-Kexie-Timestamp")) - timezone.now().timestamp()) < 60
    body = json.loads(request["body"])
    assert body["event"] == "application.submitted" and body["id"] == str(delivery.event_id)
    assert body["org"]["id"] == county_a.pk
    assert body["data"]["application"]["id"] == application.pk
    assert body["data"]["person"]["id_number_masked"] == person.id_number_masked
    assert decrypt_id_number(person.id_number_encrypted) not in request["body"].decode()

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 1
    assert delivery.response_status == 200 and delivery.response_body == '{"received": true}'
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_the_secret_is_stored_encrypted_and_the_registration_audited(admin_a, county_a):
    endpoint, secret = _endpoint(admin_a, county_a, "https://hooks.example.org/kexie")
    assert secret.startswith("whsec_") and len(secret) > 40
    row = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert secret not in str(row.__dict__) and row.secret_prefix == secret[:10]
    assert services.webhook_secret(row) == secret
    assert AuditEvent.objects.filter(action="webhook.create", object_id=str(row.pk), actor=admin_a).exists()


def test_events_reach_the_endpoints_of_the_org_and_of_every_org_above_it(
    admin_a, admin_b, city_admin, other_city_admin, province_admin, county_a, county_b, city, other_city, province, submit
):
    """Subtree semantics: an event in county A is delivered to county A's, the city's and the province's
    endpoints, never to the sibling county's or another city's."""
    hearing = {
        "county_a": _endpoint(admin_a, county_a, "https://a.example.org/h")[0],
        "city": _endpoint(city_admin, city, "https://city.example.org/h")[0],
        "province": _endpoint(province_admin, province, "https://province.example.org/h")[0],
    }
    deaf = {
        "county_b": _endpoint(admin_b, county_b, "https://b.example.org/h")[0],
        "other_city": _endpoint(other_city_admin, other_city, "https://other.example.org/h")[0],
        "other_event": _endpoint(admin_a, county_a, "https://a2.example.org/h", events=[Event.MEMBERSHIP_CREATED])[0],
    }
    submit(county_a, "钱二")
    for endpoint in hearing.values():
        assert list(endpoint.deliveries.values_list("event", flat=True)) == ["application.submitted"]
    for endpoint in deaf.values():
        assert not endpoint.deliveries.exists()


def test_the_outbox_row_commits_or_rolls_back_with_the_event(admin_a, county_a, make_applicant):
    """Written in the same transaction: a submission rolled back leaves no delivery behind."""
    _endpoint(admin_a, county_a, "https://hooks.example.org/kexie")
    person = make_applicant("孙三")
    with pytest.raises(RuntimeError), transaction.atomic():
        approval_services.application_submit(person=person, org=county_a, declaration_accepted=True)
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("the surrounding work failed")
    assert WebhookDelivery.objects.count() == 0


def test_a_failed_delivery_is_retried_with_backoff_under_the_same_delivery_id(
    receiver, admin_a, county_a, submit, django_capture_on_commit_callbacks
):
    """500 → retried later (not before it is due), then 200: both POSTs carry the same delivery id and a
    fresh signature."""
    endpoint, secret = _endpoint(admin_a, county_a, receiver.url)
    receiver.reply(500, "temporarily unavailable")
    with django_capture_on_commit_callbacks(execute=True):
        submit(county_a, "李四")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.attempts == 1
    assert delivery.response_status == 500 and delivery.response_body == "temporarily unavailable"
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=29) <= wait <= timedelta(seconds=31)

    # The sweep sends only what is due.
    assert services.webhook_deliveries_resend() == 0
    assert len(receiver.requests) == 1
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.webhook_deliveries_resend() == 1
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert _header(first, "X-Kexie-Delivery") == _header(second, "X-Kexie-Delivery") == str(delivery.delivery_id)
    assert first["body"] == second["body"] and _verify(secret, second)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 2
    # Idempotent: a late duplicate wake-up sends nothing.
    assert services.webhook_deliver(delivery_id=delivery.pk) is False
    assert len(receiver.requests) == 2


def test_backoff_doubles_up_to_its_cap():
    waits = [services.webhook_backoff(n) for n in range(1, 12)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits[-1] == timedelta(hours=1) and max(waits) == timedelta(hours=1)
    assert all(a <= b for a, b in zip(waits, waits[1:]))


def test_retries_stop_at_the_end_of_24_hours(receiver, admin_a, county_a, submit):
    """The last retry is scheduled at the end of the window, not after it; a failure then gives up."""
    endpoint, _secret = _endpoint(admin_a, county_a, receiver.url)
    submit(county_a, "周五")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    created = timezone.now() - timedelta(hours=23, minutes=59, seconds=50)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=created, attempts=25)
    receiver.reply(503, "down")
    services.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.next_attempt_at == created + timedelta(hours=24)

    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(hours=24, seconds=1), next_attempt_at=timezone.now()
    )
    receiver.reply(503, "still down")
    assert services.webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.next_attempt_at is None
    assert delivery.attempts == 27 and delivery.response_body == "still down"
    assert services.webhook_deliveries_resend() == 0


def test_an_unreachable_endpoint_records_the_error_and_is_retried(admin_a, county_a, submit):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    endpoint, _secret = _endpoint(admin_a, county_a, f"http://127.0.0.1:{closed_port}/h")
    submit(county_a, "吴六")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert services.webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.response_status is None
    assert delivery.error == "无法连接到该地址" and delivery.next_attempt_at > timezone.now()


def test_a_redirect_is_never_followed(receiver, admin_a, county_a, submit):
    endpoint, _secret = _endpoint(admin_a, county_a, receiver.url)
    receiver.reply(302, "", {"Location": receiver.url + "/elsewhere"})
    submit(county_a, "郑七")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    services.webhook_deliver(delivery_id=delivery.pk)
    assert [r["path"] for r in receiver.requests] == ["/hooks/kexie"]
    delivery.refresh_from_db()
    assert delivery.response_status == 302 and delivery.status == WebhookDelivery.Status.PENDING


def test_a_lost_wake_up_is_sent_by_the_sweep(receiver, admin_a, county_a, submit):
    """The broker lost the message (no on-commit wake-up here): the beat sweep delivers it."""
    endpoint, secret = _endpoint(admin_a, county_a, receiver.url)
    submit(county_a, "冯八")
    assert receiver.requests == []
    assert services.webhook_deliveries_resend() == 1
    assert len(receiver.requests) == 1 and _verify(secret, receiver.requests[0])
    assert endpoint.deliveries.get().status == WebhookDelivery.Status.DELIVERED


def test_redeliver_sends_the_same_event_under_a_new_delivery_id(
    receiver, admin_a, county_a, submit, django_capture_on_commit_callbacks
):
    endpoint, secret = _endpoint(admin_a, county_a, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        submit(county_a, "陈九")
    original = endpoint.deliveries.get()
    with pytest.raises(services.DomainError):
        # Still waiting: nothing to redeliver yet.
        WebhookDelivery.objects.filter(pk=original.pk).update(status=WebhookDelivery.Status.PENDING)
        services.webhook_delivery_redeliver(actor=admin_a, delivery=original)
    WebhookDelivery.objects.filter(pk=original.pk).update(status=WebhookDelivery.Status.DELIVERED)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.webhook_delivery_redeliver(actor=admin_a, delivery=original)
    assert again.event_id == original.event_id and again.delivery_id != original.delivery_id
    assert again.redelivery_of_id == original.pk and again.redelivered_by == admin_a
    assert len(receiver.requests) == 2
    assert _header(receiver.requests[1], "X-Kexie-Delivery") == str(again.delivery_id)
    assert json.loads(receiver.requests[1]["body"]) == json.loads(receiver.requests[0]["body"])
    assert _verify(secret, receiver.requests[1])
    assert AuditEvent.objects.filter(action="webhook.redeliver", object_id=str(again.pk), actor=admin_a).exists()


def test_revoking_an_endpoint_cancels_its_waiting_deliveries_and_stops_new_ones(admin_a, admin_b, county_a, submit):
    endpoint, _secret = _endpoint(admin_a, county_a, "https://hooks.example.org/kexie")
    submit(county_a, "褚十")
    with pytest.raises(services.OutOfScope):
        services.webhook_endpoint_revoke(actor=admin_b, endpoint=endpoint)
    services.webhook_endpoint_revoke(actor=admin_a, endpoint=endpoint)
    delivery = endpoint.deliveries.get()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.error == "端点已停用"
    submit(county_a, "卫十一")
    assert endpoint.deliveries.count() == 1
    with pytest.raises(services.DomainError):
        services.webhook_delivery_redeliver(actor=admin_a, delivery=delivery)


def test_only_an_administrator_of_the_org_registers_there(admin_b, county_a):
    with pytest.raises(services.OutOfScope):
        _endpoint(admin_b, county_a, "https://hooks.example.org/kexie")


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://hooks.example.org/h", "只能使用 HTTPS 地址"),
        ("http://127.0.0.1:8000/h", "只能使用 HTTPS 地址"),
        ("ftp://hooks.example.org/h", "只能使用 HTTPS 地址"),
        ("https://127.0.0.1/h", "本机或内部网络"),
        ("https://10.1.2.3/h", "本机或内部网络"),
        ("https://192.168.0.10/h", "本机或内部网络"),
        ("https://169.254.169.254/latest/meta-data", "本机或内部网络"),
        ("https://[::1]/h", "本机或内部网络"),
        ("https://[::ffff:127.0.0.1]/h", "本机或内部网络"),
        ("https://localhost/h", "本机或内部网络"),
        ("https://user:pw@hooks.example.org/h", "用户名或密码"),
        ("https:///h", "地址格式不正确"),
    ],
)
def test_production_refuses_plain_http_and_private_targets(settings, admin_a, county_a, url, message):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(services.DomainError) as refused:
        _endpoint(admin_a, county_a, url)
    assert message in str(refused.value.message)
    assert not WebhookEndpoint.objects.exists()


def test_production_accepts_a_public_https_url(settings, admin_a, county_a):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    endpoint, _secret = _endpoint(admin_a, county_a, "  https://hooks.example.org:8443/kexie?src=1  ")
    assert endpoint.url == "https://hooks.example.org:8443/kexie?src=1"


def test_a_name_resolving_to_a_private_address_is_refused_when_sending(settings, monkeypatch, receiver):
    """DNS is checked when sending (a name may point inward later): nothing reaches the receiver."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 443))])
    with pytest.raises(OutboundRefused):
        outbound_post("https://rebound.example.org/h", body=b"{}", headers={})
    assert receiver.requests == []


def test_a_delivery_to_an_endpoint_now_refused_records_why(settings, receiver, admin_a, county_a, submit):
    endpoint, _secret = _endpoint(admin_a, county_a, receiver.url)
    submit(county_a, "蒋十二")
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    delivery = endpoint.deliveries.get()
    services.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert receiver.requests == [] and delivery.error == "只能使用 HTTPS 地址（https://）"


def test_every_event_kind_and_no_full_id_number_in_any_payload(
    receiver, admin_a, city_admin, county_a, city, make_applicant, django_capture_on_commit_callbacks
):
    """Submit, approve (decided + membership created), grade (changed), recommend to the city (recommendation
    + the city's application): the city's endpoint hears all of them, each body has the masked ID number and
    no 18-character ID number at all."""
    _endpoint(city_admin, city, receiver.url)
    person = make_applicant("沈十三")
    full = decrypt_id_number(person.id_number_encrypted)
    with django_capture_on_commit_callbacks(execute=True):
        application = approval_services.application_submit(person=person, org=county_a, declaration_accepted=True)
    with django_capture_on_commit_callbacks(execute=True):
        membership = approval_services.application_approve(application=application, reviewer=admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        membership_grade_set(actor=admin_a, membership=membership, grade=Membership.Grade.SENIOR)
    with django_capture_on_commit_callbacks(execute=True):
        approval_services.recommendation_create(
            actor=admin_a, from_org=county_a, person=person, opinion="业绩突出", source_membership=membership
        )
    events = [_header(r, "X-Kexie-Event") for r in receiver.requests]
    assert events == [
        "application.submitted",
        "membership.created",
        "application.decided",
        "membership.changed",
        "recommendation.created",
        "application.submitted",
    ]
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    assert bodies[1]["data"]["membership"]["number"] == membership.number
    assert bodies[2]["data"]["application"]["status"] == "approved" and bodies[2]["data"]["member_number"] == membership.number
    assert bodies[3]["data"]["changes"] == {"grade": ["ordinary", "senior"]}
    assert bodies[4]["org"]["id"] == county_a.pk and bodies[4]["data"]["recommendation"]["to_org_id"] == city.pk
    assert bodies[5]["org"]["id"] == city.pk and bodies[5]["data"]["application"]["recommendation_id"] is not None
    for request, body in zip(receiver.requests, bodies):
        text = request["body"].decode()
        assert full not in text and not FULL_ID_NUMBER.search(text)
        assert body["data"]["person"]["id_number_masked"] == person.id_number_masked


def test_a_full_id_number_slipped_into_a_payload_is_masked(admin_a, county_a):
    _endpoint(admin_a, county_a, "https://hooks.example.org/kexie")
    full = valid_id_number(4242)
    services.webhook_event_record(
        org=county_a, event=Event.MEMBERSHIP_CHANGED, payload={"note": f"身份证 {full}", "nested": [{"id": full}]}
    )
    payload = WebhookDelivery.objects.get().payload
    text = json.dumps(payload, ensure_ascii=False)
    assert full not in text and f"{full[:6]}********{full[-4:]}" in text
    # An 18-digit number that is not an ID number (wrong check digit) is left as it is.
    assert services._masked("123456789012345678") == "123456789012345678"


def test_census_memberships_and_reregistration_are_announced(admin_a, county_a):
    """A census import announces each new membership (待重新登记) and the re-registration as a change."""
    from members.services import census as census_services
    from tests.members.conftest import census_row, csv_upload

    endpoint, _secret = _endpoint(admin_a, county_a, "https://hooks.example.org/kexie")
    census = census_services.census_import_create(
        actor=admin_a, org=county_a, file=csv_upload([census_row(93_001), census_row(93_002)])
    )
    census = census_services.census_validate(census_id=census.pk)
    census_services.census_commit_start(actor=admin_a, census=census)
    census_services.census_commit(census_id=census.pk)
    created = list(endpoint.deliveries.filter(event="membership.created"))
    assert len(created) == 2
    assert {d.payload["data"]["membership"]["status"] for d in created} == {"pending_rereg"}
    assert all(FULL_ID_NUMBER.search(json.dumps(d.payload)) is None for d in created)
    assert Person.objects.filter(pk__in=[d.payload["data"]["person"]["id"] for d in created]).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_a_due_delivery_once(receiver, admin_a, county_a, submit):
    """Eight workers woken for the same delivery at once (a sweep and a late wake-up, say): one claims it,
    the receiver gets exactly one POST."""
    endpoint, _secret = _endpoint(admin_a, county_a, receiver.url)
    WebhookDelivery.objects.all().delete()
    with transaction.atomic():
        submit(county_a, "并发一")
    WebhookDelivery.objects.update(status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now())
    receiver.requests.clear()
    delivery = endpoint.deliveries.get()
    barrier = threading.Barrier(8)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(services.webhook_deliver(delivery_id=delivery.pk))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(results) == [False] * 7 + [True]
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.status == WebhookDelivery.Status.DELIVERED
