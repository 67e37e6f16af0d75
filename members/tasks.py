from celery import shared_task

from members import services
from members.models import Notice


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def notice_deliver(notice_id: int) -> bool:
    return services.notice_deliver_email(notice_id=notice_id)


@shared_task
def notices_deliver_pending(batch: int = 500) -> int:
    """Outbox sweep: mail every notice that has not gone out yet (e.g. enqueued while Redis was down)."""
    ids = list(
        Notice.objects.filter(emailed_at__isnull=True, email_attempts__lt=8)
        .exclude(user__email="")
        .order_by("id")
        .values_list("id", flat=True)[:batch]
    )
    return sum(1 for notice_id in ids if services.notice_deliver_email(notice_id=notice_id))
