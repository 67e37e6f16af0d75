"""Celery entry points of the census: take ids, call the service in members.census. Imported by the worker
through CELERY_IMPORTS (kexie/settings/base.py)."""

from celery import shared_task

from members import census


@shared_task(name="members.lifecycle_tasks.census_validate")
def census_validate(census_id: int) -> int:
    return census.census_validate(census_id=census_id).valid_rows


@shared_task(name="members.lifecycle_tasks.census_commit")
def census_commit(census_id: int) -> int:
    return census.census_commit(census_id=census_id).imported_rows


@shared_task(
    name="members.lifecycle_tasks.census_invitations_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def census_invitations_email(census_id: int) -> int:
    return census.census_invitations_email(census_id=census_id)


@shared_task(name="members.lifecycle_tasks.census_jobs_resend")
def census_jobs_resend() -> int:
    """Outbox sweep: send again census validations and commits whose message or worker was lost."""
    return census.census_jobs_resend()


@shared_task(name="members.lifecycle_tasks.census_uploads_purge")
def census_uploads_purge() -> int:
    """Daily: delete uploaded census files past their retention (they hold full ID numbers)."""
    return census.census_uploads_purge()
