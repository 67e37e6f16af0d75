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
