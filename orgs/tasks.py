"""Celery entry points of orgs: take ids, call a service. orgs.apps imports this module so the names are known
in every process."""

from celery import shared_task

from kexie.errors import DomainError
from orgs.services import audit


@shared_task(name="orgs.tasks.audit_archive")
def audit_archive() -> int:
    """Monthly: archive and remove the audit rows past the retention period (none due is not an error)."""
    try:
        return audit.audit_archive().row_count
    except DomainError:
        return 0
