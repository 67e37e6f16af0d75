"""A Celery worker SIGKILLed in the middle of a census commit: nothing of the list is written (the commit is one
transaction), the page shows the job has stopped progressing, 重新处理 pressed twice sends one job, and a new
worker imports every valid row exactly once with gapless member numbers.

Runs a real worker process (prefork, as in production) against a throwaway Redis and pytest's PostgreSQL test
database, so it needs PostgreSQL; it is skipped on SQLite.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import Client
from django.urls import reverse

from members.services import census as census_services
from members.models import CensusImport, CensusRow, MemberNumberCounter, Membership, Person
from tests.faults.throwaway import kill_process_group, wait_until
from tests.members.conftest import census_row, csv_upload

ROOT = Path(__file__).resolve().parents[2]
ROWS = 6000

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def start_worker(redis_everywhere, tmp_path):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kexie.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": redis_everywhere.url(0),
        "PYTHONPATH": str(ROOT),
    }
    started = []

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker{len(started)}.log", "w")
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "kexie", "worker", "--pool=prefork", "--concurrency=1",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        kill_process_group(process)


def test_a_worker_killed_mid_commit_writes_nothing_and_retry_imports_every_row_once(
    redis_everywhere, start_worker, admin_a, county_a, settings
):
    settings.CENSUS_JOB_STALL_SECONDS = 3
    census = census_services.census_import_create(
        actor=admin_a, org=county_a, file=csv_upload([census_row(80_000 + n) for n in range(ROWS)])
    )
    census = census_services.census_validate(census_id=census.pk)
    assert census.valid_rows == ROWS
    people_before = Person.objects.count()

    worker = start_worker()
    census_services.census_commit_start(actor=admin_a, census=census)

    def mid_commit():
        progress = census_services.census_progress_get(census.pk) or {}
        return progress.get("phase") == "commit" and 0 < progress.get("processed", 0) < ROWS

    wait_until(mid_commit, 120, interval=0.02, message="the worker inside the commit")
    kill_process_group(worker)

    census.refresh_from_db()
    assert census.status == CensusImport.Status.COMMITTING
    assert Person.objects.count() == people_before, "a killed commit left people behind"
    assert not Membership.objects.filter(org=county_a).exists()
    assert not CensusRow.objects.filter(census=census, membership__isnull=False).exists()
    assert not MemberNumberCounter.objects.filter(org=county_a, last_value__gt=0).exists()

    client = Client()
    client.force_login(admin_a)
    time.sleep(settings.CENSUS_JOB_STALL_SECONDS + 0.5)
    status = client.get(reverse("console_members:census_status", args=[census.pk])).json()
    assert status["stalled"] is True
    page = client.get(reverse("console_members:census_detail", args=[census.pk])).content.decode()
    assert "重新处理" in page

    queue = redis.Redis.from_url(redis_everywhere.url(0))
    queued = queue.llen("celery")
    retry = reverse("console_members:census_retry", args=[census.pk])
    first = client.post(retry, {"attempts": str(census.attempts)}, follow=True).content.decode()
    second = client.post(retry, {"attempts": str(census.attempts)}, follow=True).content.decode()
    assert "已重新开始处理" in first and "已在重新处理" in second
    assert queue.llen("celery") == queued + 1, "two presses must send one job"

    start_worker()
    wait_until(
        lambda: CensusImport.objects.get(pk=census.pk).status == CensusImport.Status.COMMITTED,
        180, interval=0.5, message="the retried commit",
    )
    census.refresh_from_db()
    assert census.imported_rows == ROWS
    memberships = Membership.objects.filter(org=county_a)
    assert memberships.count() == ROWS == Person.objects.count() - people_before
    sequences = sorted(int(number.rsplit("-", 1)[1]) for number in memberships.values_list("number", flat=True))
    assert sequences == list(range(1, ROWS + 1))
    assert CensusRow.objects.filter(census=census, membership__isnull=False).count() == ROWS
