"""Celery entry points of orgs: take ids, call a service. Services enqueue these by their registered names
(kexie.celery.task_send); orgs.apps imports this module so the names are known in every process."""

from celery import shared_task

from kexie.errors import DomainError
from orgs.services import audit, webhooks


@shared_task(name="orgs.tasks.webhook_deliver")
def webhook_deliver(delivery_id: int) -> bool:
    # No Celery retry: a failed attempt is rescheduled on the delivery row and the sweep sends it when due.
    return webhooks.webhook_deliver(delivery_id=delivery_id)


@shared_task(name="orgs.tasks.webhook_deliveries_resend")
def webhook_deliveries_resend() -> int:
    """Outbox sweep: send every webhook delivery that is due."""
    return webhooks.webhook_deliveries_resend()


@shared_task(name="orgs.tasks.audit_archive")
def audit_archive() -> int:
    """Monthly: archive and remove the audit rows past the retention period (none due is not an error)."""
    try:
        return audit.audit_archive().row_count
    except DomainError:
        return 0
