"""A task crosses Redis to a real worker process (the PostgreSQL CI run starts one)."""

import time

import pytest
from django.core import mail  # noqa: F401 - the worker uses its own locmem backend

from kexie.celery import app
from members.models import Notice


@pytest.fixture
def real_worker():
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


@pytest.mark.celery_worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_notice_email_is_sent_by_the_real_worker(real_worker, make_user):
    from members.tasks import notice_deliver

    user = make_user(email="worker@example.com")
    notice = Notice.objects.create(user=user, title="测试通知", body="由 worker 发送")

    notice_deliver.delay(notice.pk)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        notice.refresh_from_db()
        if notice.emailed_at is not None:
            break
        time.sleep(0.3)
    assert notice.emailed_at is not None, "the worker did not process the task within 30 s"
    assert notice.email_attempts == 1
