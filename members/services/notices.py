"""In-app notices and their emails. The notice row is the outbox; the emails go out through a sweep job."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kexie.scheduler import task_wake
from members.models import Notice

logger = logging.getLogger(__name__)

NOTICES_SWEEP_TASK = "members.tasks.notices_deliver_pending"
# A notice whose address the mail server refused this many times is not tried again.
NOTICE_EMAIL_ATTEMPTS = 8


def notice_create(*, user, title: str, body: str = "", link: str = "") -> Notice | None:
    """In-app notice plus its email, sent by the outbox sweep woken after commit: one sweep mails a burst of
    notices within KEXIE_NOTICE_EMAIL_DELAY_SECONDS. If the broker is down the periodic run of the same sweep
    (members.tasks.notices_deliver_pending) sends it later, so nothing is lost."""
    if user is None:
        return None
    notice = Notice.objects.create(user=user, title=title, body=body, link=link)
    transaction.on_commit(notices_wake)
    return notice


def notices_wake() -> None:
    task_wake(NOTICES_SWEEP_TASK, delay=settings.KEXIE_NOTICE_EMAIL_DELAY_SECONDS)


def notices_deliver_pending(*, batch: int = 500) -> int:
    """Mail every notice that has not gone out yet, oldest first, each tried once per sweep; returns how many
    this call sent. An address the mail server refuses counts an attempt and the sweep goes on; a mail server
    that cannot be reached ends the sweep (the next one tries again, no attempt counted against the notice)."""
    sent, after = 0, 0
    while True:
        ids = list(
            Notice.objects.filter(emailed_at__isnull=True, email_attempts__lt=NOTICE_EMAIL_ATTEMPTS, id__gt=after)
            .exclude(user__email="")
            .order_by("id")
            .values_list("id", flat=True)[:batch]
        )
        for notice_id in ids:
            try:
                sent += notice_deliver_email(notice_id=notice_id)
            except smtplib.SMTPRecipientsRefused:
                Notice.objects.filter(pk=notice_id).update(email_attempts=F("email_attempts") + 1)
                logger.warning("notice %s: the mail server refused the address", notice_id)
            except OSError as exc:
                logger.warning("notices not mailed, the mail server is unreachable (%s); the next sweep retries", exc)
                return sent
        if len(ids) < batch:
            return sent
        after = ids[-1]


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
