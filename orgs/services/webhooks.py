"""Webhooks: HTTPS endpoints an administrator registers for an organisation of their subtree, and the outbox
of deliveries to them.

The service that changes state records its event here inside its own transaction (`webhook_event_record`):
one WebhookDelivery row for every active endpoint registered on the event's organisation or above it that
chose the event, so an event and its deliveries commit or roll back together. The worker is woken after
commit; the beat sweep (`webhook_deliveries_resend`) sends whatever is due, which covers retries with
backoff and wake-ups lost with the broker. Each POST carries the headers below; the signature is
HMAC-SHA256 of "<timestamp>.<body>" keyed by the endpoint's secret (README, "Webhooks").
"""

import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.celery import task_send, task_send_on_commit
from kexie.crypto import decrypt_text, encrypt_text
from kexie.errors import DomainError, OutOfScope
from kexie.outbound import OutboundError, outbound_post, outbound_url_check
from kexie.validators import id_number_check_digit, mask_id_number
from orgs.models import Org, WebhookDelivery, WebhookEndpoint
from orgs.selectors.scope import orgs_managed_by
from orgs.services.audit import audit_record

SECRET_PREFIX = "whsec_"
SECRET_KEYS_SETTING = "WEBHOOK_SECRET_KEYS"
HEADER_SIGNATURE = "X-Kexie-Signature"
HEADER_TIMESTAMP = "X-Kexie-Timestamp"
HEADER_DELIVERY = "X-Kexie-Delivery"
HEADER_EVENT = "X-Kexie-Event"
DELIVER_TASK = "orgs.tasks.webhook_deliver"
RESEND_TASK = "orgs.tasks.webhook_deliveries_resend"
RESPONSE_EXCERPT = 1000
# Eighteen characters that could be a resident ID number (the check digit decides).
_ID_NUMBER_LIKE = re.compile(r"(?<![0-9A-Za-z])([0-9]{17}[0-9Xx])(?![0-9A-Za-z])")


def _target_policy() -> dict:
    return {
        "allow_http_loopback": settings.WEBHOOK_ALLOW_HTTP_LOOPBACK,
        "allow_private": settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    }


def webhook_url_check(url: str) -> str:
    """The stripped URL if endpoints may use it (https, public address, per the settings), else DomainError.
    Forms and serializers call it for the field's message; registration calls it again."""
    url = url.strip()
    try:
        outbound_url_check(url, **_target_policy())
    except OutboundError as exc:
        raise DomainError(exc.message) from None
    return url


def _manage_check(actor, org: Org) -> None:
    if not orgs_managed_by(actor).filter(pk=org.pk).exists():
        raise OutOfScope()


# --- endpoints ------------------------------------------------------------------------------------------


def webhook_endpoint_create(
    *, actor, org: Org, url: str, events: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its signing secret; the secret is shown this once (stored encrypted)."""
    url = webhook_url_check(url)
    events = sorted(set(events))
    if not events or set(events) - set(WebhookEndpoint.Event.values):
        raise DomainError(_("请至少选择一个有效的事件"))
    with transaction.atomic():
        _manage_check(actor, org)
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        endpoint = WebhookEndpoint.objects.create(
            org=org,
            url=url,
            description=description.strip(),
            events=events,
            secret_encrypted=encrypt_text(secret, setting=SECRET_KEYS_SETTING),
            secret_prefix=secret[: len(SECRET_PREFIX) + 4],
            created_by=actor,
        )
        audit_record(
            actor=actor, action="webhook.create", obj=endpoint, org=org, comment=endpoint.url, data={"events": events}
        )
    return endpoint, secret


def webhook_endpoint_revoke(*, actor, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop an endpoint for good; its deliveries still waiting are marked failed."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().select_related("org").get(pk=endpoint.pk)
        _manage_check(actor, endpoint.org)
        if endpoint.revoked_at is None:
            endpoint.revoked_at = timezone.now()
            endpoint.save(update_fields=["revoked_at"])
            endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
                status=WebhookDelivery.Status.FAILED, next_attempt_at=None, error=_("端点已停用")
            )
            audit_record(actor=actor, action="webhook.revoke", obj=endpoint, org=endpoint.org, comment=endpoint.url)
    return endpoint


def webhook_secret(endpoint: WebhookEndpoint) -> str:
    return decrypt_text(endpoint.secret_encrypted, setting=SECRET_KEYS_SETTING)


# --- events into the outbox -----------------------------------------------------------------------------


def _masked(value):
    """The payload with anything shaped like a full ID number (valid check digit) masked: payloads are built
    from masked fields only, and this keeps a full number out even if one slips into a text field."""
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, str):
        def mask(match):
            text = match.group(1).upper()
            return mask_id_number(text) if id_number_check_digit(text[:17]) == text[17] else match.group(1)

        return _ID_NUMBER_LIKE.sub(mask, value)
    return value


def _envelope(*, org: Org, event: str, payload: dict, now) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "event": event,
        "occurred_at": now.isoformat(),
        "org": {"id": org.pk, "code": org.code, "name": org.name, "level": org.level},
        "data": _masked(json.loads(json.dumps(payload, default=str))),
    }


def webhook_events_record(*, org: Org, event: str, payloads: list[dict]) -> int:
    """Outbox rows for many events of one kind and organisation (a census import), written with the caller's
    transaction; one sweep after commit sends them. Returns the number of deliveries written."""
    if event not in WebhookEndpoint.Event.values:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = [e for e in WebhookEndpoint.objects.active().covering(org) if event in e.events]
    if not endpoints or not payloads:
        return 0
    now = timezone.now()
    rows = []
    for payload in payloads:
        envelope = _envelope(org=org, event=event, payload=payload, now=now)
        rows += [
            WebhookDelivery(
                endpoint=endpoint,
                delivery_id=uuid.uuid4(),
                event_id=envelope["id"],
                event=event,
                payload=envelope,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint in endpoints
        ]
    # PostgreSQL and SQLite both return the new primary keys from a bulk insert.
    WebhookDelivery.objects.bulk_create(rows, batch_size=1000)
    if len(payloads) == 1:
        for row in rows:
            task_send_on_commit(DELIVER_TASK, row.pk)
    else:
        task_send_on_commit(RESEND_TASK)
    return len(rows)


def webhook_event_record(*, org: Org, event: str, payload: dict) -> int:
    """Record one event of `org` for every endpoint on it or above it that chose the event; call it inside
    the transaction that makes the change. `payload` must hold masked ID numbers only."""
    return webhook_events_record(org=org, event=event, payloads=[payload])


# --- sending --------------------------------------------------------------------------------------------


def webhook_body(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def webhook_backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: the base doubling each time, capped."""
    base, cap = settings.WEBHOOK_BACKOFF_BASE, settings.WEBHOOK_BACKOFF_MAX
    return min(base * (2 ** min(max(attempts - 1, 0), 20)), cap)


def webhook_deliver(*, delivery_id: int) -> bool:
    """One attempt of a due delivery; True when the endpoint answered 2xx. Idempotent: a delivery that is not
    due (sent, given up, or claimed by another worker) is left alone."""
    now = timezone.now()
    # Claim with a conditional UPDATE and hold no lock or transaction while the endpoint answers.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=now + timedelta(seconds=settings.WEBHOOK_CLAIM_SECONDS),
    )
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = webhook_body(delivery.payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "kexie-webhooks/1",
        HEADER_EVENT: delivery.event,
        HEADER_DELIVERY: str(delivery.delivery_id),
        HEADER_TIMESTAMP: timestamp,
        HEADER_SIGNATURE: webhook_signature(webhook_secret(endpoint), timestamp, body),
    }
    response, error = None, ""
    if endpoint.revoked_at is not None:
        error = _("端点已停用")
    else:
        try:
            response = outbound_post(endpoint.url, body=body, headers=headers, **_target_policy())
        except OutboundError as exc:
            error = str(exc.message)
    return _attempt_record(delivery, response=response, error=error, revoked=endpoint.revoked_at is not None)


def _attempt_record(delivery: WebhookDelivery, *, response, error: str, revoked: bool) -> bool:
    now = timezone.now()
    fields = {
        "response_status": response.status if response else None,
        "response_body": response.body_excerpt[:RESPONSE_EXCERPT] if response else "",
        "error": error[:200],
    }
    delivered = response is not None and 200 <= response.status < 300
    give_up_at = delivery.created_at + settings.WEBHOOK_RETRY_WINDOW
    if delivered:
        fields.update(status=WebhookDelivery.Status.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif revoked or now >= give_up_at:
        fields.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    else:
        # The last retry falls on the end of the window, so the 24 hours are used in full.
        fields["next_attempt_at"] = min(now + webhook_backoff(delivery.attempts), give_up_at)
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.PENDING).update(**fields)
    return delivered


def webhook_deliveries_resend(*, batch: int = 1000) -> int:
    """Outbox sweep: wake a worker for every delivery that is due (a retry, or a first attempt whose message
    was lost). Returns how many were sent."""
    ids = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:batch]
    )
    for delivery_id in ids:
        task_send(DELIVER_TASK, delivery_id)
    return len(ids)


def webhook_delivery_redeliver(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """重新投递: the same event (same payload and event id) as a new delivery with its own id and 24 hours."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().select_related("org").get(pk=delivery.endpoint_id)
        _manage_check(actor, endpoint.org)
        if endpoint.revoked_at is not None:
            raise DomainError(_("该端点已停用，不能重新投递"))
        delivery = WebhookDelivery.objects.get(pk=delivery.pk)
        if delivery.status == WebhookDelivery.Status.PENDING:
            raise DomainError(_("该投递仍在等待投递或重试中，无需重新投递"))
        now = timezone.now()
        again = WebhookDelivery.objects.create(
            endpoint=endpoint,
            delivery_id=uuid.uuid4(),
            event_id=delivery.event_id,
            event=delivery.event,
            payload=delivery.payload,
            next_attempt_at=now,
            created_at=now,
            redelivery_of=delivery,
            redelivered_by=actor,
        )
        audit_record(
            actor=actor, action="webhook.redeliver", obj=again, org=endpoint.org,
            data={"endpoint": endpoint.pk, "redelivery_of": str(delivery.delivery_id)},
        )
        task_send_on_commit(DELIVER_TASK, again.pk)
    return again
