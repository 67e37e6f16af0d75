"""The progress job through a real Celery worker on Redis, and its lock, on PostgreSQL."""

import threading
import time

import pytest
from django.db import connection

from approvals import services as approvals
from approvals.progress import progress_lock, progress_recompute_all
from kexie.celery import app
from orgs.models import ProgressDelta, ProgressSnapshot


@pytest.fixture
def real_worker():
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


def _wait_for(predicate, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


@pytest.mark.celery_worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_recounts_progress_after_a_decision(real_worker, hebei, county_a, make_applicant, province_admin):
    from approvals.tasks import progress_recompute_all, progress_recompute_dirty

    progress_recompute_all.delay(2026)
    assert _wait_for(lambda: ProgressSnapshot.objects.filter(year=2026).count() == 2 * 253), "no full recompute"

    person = make_applicant("worker申请人")
    application = approvals.application_submit(person=person, org=county_a, declaration_accepted=True)
    approvals.application_approve(application=application, reviewer=province_admin)
    assert ProgressDelta.objects.filter(org=county_a).exists()

    progress_recompute_dirty.delay()

    def counted() -> bool:
        snapshot = ProgressSnapshot.objects.filter(org=county_a, year=2026, scope="subtree").first()
        return snapshot is not None and snapshot.counts["new_members"] == 1

    assert _wait_for(counted), "the worker did not recount the county within 30 s"
    assert _wait_for(lambda: not ProgressDelta.objects.exists())
    assert ProgressSnapshot.objects.get(org=hebei, year=2026, scope="subtree").counts["approved"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_recomputes_never_overlap(hebei):
    """While one connection holds the advisory lock, a recompute in another thread skips and writes nothing."""
    held, release, results = threading.Event(), threading.Event(), []

    def holder():
        try:
            with progress_lock() as acquired:
                results.append(("holder", acquired))
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(10)
    try:
        assert progress_recompute_all(years=[2026]) is False
        assert not ProgressSnapshot.objects.exists()
    finally:
        release.set()
        thread.join()
    assert results == [("holder", True)]
    assert progress_recompute_all(years=[2026]) is True
    assert ProgressSnapshot.objects.filter(year=2026).count() == 2 * 253
