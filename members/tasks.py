"""Celery entry points of members: take ids, call a service. Services enqueue these by their registered
names (kexie.celery.task_send); members.apps imports this module so the names are known in every process."""

from celery import shared_task

from members.services import census, notices, renewals, retention


@shared_task(
    name="members.tasks.notice_deliver", autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600,
    max_retries=8,
)
def notice_deliver(notice_id: int) -> bool:
    """One notice's email. New notices wake the sweep below instead; this name stays registered so that jobs
    queued by an earlier release are still run."""
    return notices.notice_deliver_email(notice_id=notice_id)


@shared_task(name="members.tasks.notices_deliver_pending")
def notices_deliver_pending(batch: int = 500) -> int:
    """Outbox sweep: mail every notice that has not gone out yet; woken after new notices commit, and run
    periodically for those whose wake-up was lost (e.g. enqueued while Redis was down)."""
    return notices.notices_deliver_pending(batch=batch)


@shared_task(name="members.tasks.census_validate")
def census_validate(census_id: int) -> int:
    return census.census_validate(census_id=census_id).valid_rows


@shared_task(name="members.tasks.census_commit")
def census_commit(census_id: int) -> int:
    return census.census_commit(census_id=census_id).imported_rows


@shared_task(
    name="members.tasks.census_invitations_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def census_invitations_email(census_id: int) -> int:
    return census.census_invitations_email(census_id=census_id)


@shared_task(name="members.tasks.membership_year_sweep")
def membership_year_sweep() -> dict | None:
    """Nightly: renewal reminders, 待续期 after the grace period, lapse after N years without renewal."""
    return renewals.membership_year_sweep()


@shared_task(name="members.tasks.census_jobs_resend")
def census_jobs_resend() -> int:
    """Outbox sweep: send again census validations and commits whose message or worker was lost."""
    return census.census_jobs_resend()


@shared_task(name="members.tasks.census_uploads_purge")
def census_uploads_purge() -> int:
    """Daily: delete uploaded census files past their retention (they hold full ID numbers)."""
    return census.census_uploads_purge()


@shared_task(name="members.tasks.persons_deidentify_due")
def persons_deidentify_due() -> int:
    """Nightly: de-identify deleted accounts' profiles past PERSON_RETENTION_DAYS."""
    return retention.persons_deidentify_due()
