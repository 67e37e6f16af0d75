"""Every status change: an in-app notice and an email after commit; a dead broker loses nothing."""

import time

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from approvals.services import (
    application_approve,
    application_reject,
    application_resubmit,
    application_return,
    application_submit,
    application_withdraw,
)
from kexie.celery import app
from members.models import Notice

pytestmark = pytest.mark.django_db


def test_each_status_change_creates_a_notice_and_one_email(applicant, county_a, county_b, admin_a, admin_b, django_capture_on_commit_callbacks):
    email = applicant.user.email
    with django_capture_on_commit_callbacks(execute=True):
        first = application_submit(person=applicant, org=county_a, declaration_accepted=True)
    with django_capture_on_commit_callbacks(execute=True):
        application_return(application=first, reviewer=admin_a, comment="请补充")
    with django_capture_on_commit_callbacks(execute=True):
        application_resubmit(application=first, person=applicant)
    with django_capture_on_commit_callbacks(execute=True):
        application_approve(application=first, reviewer=admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        second = application_submit(person=applicant, org=county_b, declaration_accepted=True)
    with django_capture_on_commit_callbacks(execute=True):
        application_reject(application=second, reviewer=admin_b, comment="不符合")
    titles = ["已提交", "退回修改", "重新提交", "已批准", "已提交", "未获通过"]
    notices = list(Notice.objects.filter(user=applicant.user).order_by("id"))
    assert len(notices) == len(titles)
    for notice, expected in zip(notices, titles):
        assert expected in notice.title
        assert notice.emailed_at is not None and notice.email_attempts == 1
    assert [m.subject for m in mail.outbox] == [n.title for n in notices]
    assert all(m.to == [email] for m in mail.outbox)


def test_withdrawing_notifies_too(applicant, county_a, django_capture_on_commit_callbacks):
    application = application_submit(person=applicant, org=county_a, declaration_accepted=True)
    with django_capture_on_commit_callbacks(execute=True):
        application_withdraw(application=application, person=applicant)
    assert Notice.objects.filter(user=applicant.user, title__contains="撤回").exists()
    assert any("撤回" in m.subject for m in mail.outbox)


def _reset_broker_connections():
    # The app's connection and producer pools are bound to the broker URL they were made for; forget them
    # (without closing: kombu shares them process-wide per URL) so the next publish uses broker_url as set now.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def dead_broker():
    eager, url = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    _reset_broker_connections()
    yield
    app.conf.task_always_eager = eager
    app.conf.broker_url = url
    _reset_broker_connections()


def test_a_dead_broker_does_not_fail_the_submission_and_the_sweep_sends_the_notice_once(
    applicant_client, applicant, county_a, dead_broker, django_capture_on_commit_callbacks
):
    from members.tasks import notices_deliver_pending

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = applicant_client.post(reverse("applications:apply", args=[county_a.pk]), {"declaration": "on"})
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 10, f"submission took {elapsed:.1f}s with the broker down"
    notice = Notice.objects.get(user=applicant.user)
    assert notice.emailed_at is None
    assert mail.outbox == []

    assert notices_deliver_pending() == 1
    assert notices_deliver_pending() == 0
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == notice.title


def test_the_outbox_sweep_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["deliver-pending-notices"]
    assert entry["task"] == "members.tasks.notices_deliver_pending"
    assert entry["schedule"] <= 300


def test_notices_are_listed_and_marked_read_only_for_their_owner(applicant_client, applicant, make_user):
    from members.services.notices import notice_create

    mine = notice_create(user=applicant.user, title="我的通知")
    theirs = notice_create(user=make_user(), title="别人的通知")
    page = applicant_client.get(reverse("members:notice_list")).content.decode()
    assert "我的通知" in page and "别人的通知" not in page
    applicant_client.post(reverse("members:notice_read"), {"notice": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    applicant_client.post(reverse("members:notice_read"), {"notice": mine.pk})
    mine.refresh_from_db()
    assert mine.read_at is not None


def _pending_notices(make_applicant, n: int) -> list[Notice]:
    """n notices whose email has not gone out, each to its own person."""
    return [Notice.objects.create(user=make_applicant(f"待发{i}").user, title=f"通知{i}") for i in range(n)]


def test_a_refused_address_counts_an_attempt_and_the_sweep_goes_on(make_applicant, monkeypatch):
    import smtplib

    from members.services import notices

    first, second, third = _pending_notices(make_applicant, 3)
    deliver = notices.notice_deliver_email

    def refuse_the_second(*, notice_id):
        if notice_id == second.pk:
            raise smtplib.SMTPRecipientsRefused({second.user.email: (550, b"no such user")})
        return deliver(notice_id=notice_id)

    monkeypatch.setattr(notices, "notice_deliver_email", refuse_the_second)
    assert notices.notices_deliver_pending() == 2
    second.refresh_from_db()
    assert second.emailed_at is None and second.email_attempts == 1
    assert sorted(m.subject for m in mail.outbox) == sorted([first.title, third.title])
    for _ in range(notices.NOTICE_EMAIL_ATTEMPTS - 1):
        notices.notices_deliver_pending()
    second.refresh_from_db()
    assert second.email_attempts == notices.NOTICE_EMAIL_ATTEMPTS
    assert notices.notices_deliver_pending() == 0 and len(mail.outbox) == 2, "given up after the last attempt"


def test_an_unreachable_mail_server_ends_the_sweep_and_counts_nothing(make_applicant, monkeypatch):
    from members.services import notices

    pending = _pending_notices(make_applicant, 3)
    deliver = notices.notice_deliver_email

    def down(*, notice_id):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(notices, "notice_deliver_email", down)
    assert notices.notices_deliver_pending() == 0
    assert all(n.email_attempts == 0 for n in Notice.objects.filter(pk__in=[p.pk for p in pending]))
    monkeypatch.setattr(notices, "notice_deliver_email", deliver)
    assert notices.notices_deliver_pending() == 3 and len(mail.outbox) == 3


def test_one_sweep_mails_more_than_a_batch_and_tries_each_notice_once(make_applicant, monkeypatch):
    """Batches follow the ids: a notice still pending after its try (a refused address) is not met again."""
    import smtplib

    from members.services import notices

    pending = _pending_notices(make_applicant, 5)
    refused, tried = pending[0], []
    deliver = notices.notice_deliver_email

    def recorded(*, notice_id):
        tried.append(notice_id)
        if notice_id == refused.pk:
            raise smtplib.SMTPRecipientsRefused({refused.user.email: (550, b"no such user")})
        return deliver(notice_id=notice_id)

    monkeypatch.setattr(notices, "notice_deliver_email", recorded)
    assert notices.notices_deliver_pending(batch=2) == 4
    assert tried == [n.pk for n in pending]
    refused.refresh_from_db()
    assert refused.email_attempts == 1


def test_with_a_worker_a_burst_of_notices_wakes_one_sweep(make_applicant, county_a, monkeypatch,
                                                       django_capture_on_commit_callbacks):
    import kexie.celery

    sent = []
    monkeypatch.setattr(kexie.celery, "task_send", lambda name, *args, **options: sent.append((name, options)) or True)
    app.conf.task_always_eager = False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for i in range(3):
                application_submit(person=make_applicant(f"连续{i}"), org=county_a, declaration_accepted=True)
    finally:
        app.conf.task_always_eager = True
    sweeps = [call for call in sent if call[0] == "members.tasks.notices_deliver_pending"]
    assert sweeps == [("members.tasks.notices_deliver_pending", {"countdown": settings.KEXIE_NOTICE_EMAIL_DELAY_SECONDS})]
    assert Notice.objects.filter(emailed_at__isnull=True).count() == 3 and mail.outbox == [], "mailed by that sweep"
