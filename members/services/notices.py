"""In-app notices and their emails. The notice row is the outbox; the email goes out through a task."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from kexie.celery import task_send
from members.models import Notice


def notice_create(*, user, title: str, body: str = "", link: str = "") -> Notice | None:
    """In-app notice plus an email sent after commit. The row is the outbox: if the broker is down the
    periodic sweep (members.tasks.notices_deliver_pending) sends it later, so nothing is lost."""
    if user is None:
        return None
    notice = Notice.objects.create(user=user, title=title, body=body, link=link)
    transaction.on_commit(lambda: notice_enqueue(notice.pk))
    return notice


def notice_enqueue(notice_id: int) -> None:
    # A broker failure is logged by task_send; the outbox sweep delivers the notice later.
    task_send("members.tasks.notice_deliver", notice_id)


def notice_deliver_email(*, notice_id: int) -> bool:
    """Send one notice's email exactly once; returns True when this call sent it."""
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=notice_id, emailed_at__isnull=True)
            .first()
        )
        if notice is None or not notice.user.email:
            return False
        notice.email_attempts += 1
        send_mail(notice.title, notice.body or notice.title, settings.DEFAULT_FROM_EMAIL, [notice.user.email])
        notice.emailed_at = timezone.now()
        notice.save(update_fields=["email_attempts", "emailed_at"])
        return True


def notices_mark_read(*, user, notice_id: int | None = None) -> int:
    """Mark one notice (or all, when notice_id is None) of this user as read; other users' ids change nothing."""
    notices = Notice.objects.filter(user=user, read_at__isnull=True)
    if notice_id is not None:
        notices = notices.filter(pk=notice_id)
    return notices.update(read_at=timezone.now())
