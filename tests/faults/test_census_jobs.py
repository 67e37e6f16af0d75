"""Census jobs survive a Redis outage and a lost message: the import's own row is the record of the job, a
periodic sweep sends again what is due, the page shows a job that stopped progressing and offers 重新处理,
which starts one job however often it is pressed. Uploaded files do not outlive the import."""

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import kexie.celery
from kexie.celery import app
from members.services import census as census_services
from members.models import CensusImport
from tests.members.conftest import census_row, csv_upload


def _upload(client, org, rows):
    return client.post(reverse("console_members:census_upload", args=[org.pk]), {"file": csv_upload(rows)})


def test_a_census_uploaded_while_redis_is_down_is_kept_and_validated_by_the_sweep_once_redis_is_back(
    redis_everywhere, admin_a, county_a, settings, django_capture_on_commit_callbacks
):
    client = Client(raise_request_exception=False)
    client.force_login(admin_a)
    redis_everywhere.stop()

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, county_a, [census_row(71_001), census_row(71_002, 身份证号="1")])
    assert response.status_code == 302, response.content.decode()[:500]
    census = CensusImport.objects.get(org=county_a)
    assert census.status == CensusImport.Status.VALIDATING
    assert census.attempts == 1 and census.job_sent_at is not None
    page = client.get(response["Location"])
    assert page.status_code == 200 and "正在校验" in page.content.decode()

    # Nothing reached a worker. Redis comes back; the sweep finds the job due and sends it again.
    redis_everywhere.start()
    settings.CENSUS_JOB_STALL_SECONDS = 0
    app.conf.task_always_eager = True
    with django_capture_on_commit_callbacks(execute=True):
        assert census_services.census_jobs_resend() == 1
    census.refresh_from_db()
    assert census.status == CensusImport.Status.VALIDATED
    assert (census.valid_rows, census.error_rows) == (1, 1)
    assert census.attempts == 2
    # Done jobs are not sent again.
    assert census_services.census_jobs_resend() == 0


def test_the_sweep_leaves_jobs_that_are_progressing_or_gave_up_alone(admin_a, county_a, settings):
    settings.CENSUS_JOB_STALL_SECONDS = 600
    settings.CENSUS_JOB_MAX_ATTEMPTS = 3
    fresh = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload([census_row(72_001)]))
    CensusImport.objects.filter(pk=fresh.pk).update(status=CensusImport.Status.VALIDATING)
    assert census_services.census_jobs_resend() == 0

    old = timezone.now() - timezone.timedelta(hours=1)
    CensusImport.objects.filter(pk=fresh.pk).update(job_sent_at=old, heartbeat_at=old, attempts=3)
    cache.delete(f"census:{fresh.pk}:progress")  # no progress count either
    assert census_services.census_jobs_resend() == 0, "a job past its attempt limit waits for 重新处理"
    fresh.refresh_from_db()
    assert census_services.census_job_stalled(fresh)


def test_a_stalled_job_shows_on_the_page_and_retry_pressed_twice_starts_one_job(
    admin_a, county_a, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.CENSUS_JOB_STALL_SECONDS = 60
    census = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload([census_row(73_001)]))
    # As after a worker was killed mid-job: still 正在校验, no sign of life for ten minutes.
    old = timezone.now() - timezone.timedelta(minutes=10)
    CensusImport.objects.filter(pk=census.pk).update(
        status=CensusImport.Status.VALIDATING, job_sent_at=old, heartbeat_at=old, attempts=1
    )
    cache.delete(f"census:{census.pk}:progress")  # no progress count either
    client = Client()
    client.force_login(admin_a)

    status = client.get(reverse("console_members:census_status", args=[census.pk])).json()
    assert status["stalled"] is True and status["done"] is False
    page = client.get(reverse("console_members:census_detail", args=[census.pk])).content.decode()
    assert "重新处理" in page and "没有进展" in page

    sent = []
    monkeypatch.setattr(kexie.celery, "task_send", lambda name, *args, **options: sent.append((name, args)) or True)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("console_members:census_retry", args=[census.pk]), {"attempts": "1"}, follow=True)
        second = client.post(reverse("console_members:census_retry", args=[census.pk]), {"attempts": "1"}, follow=True)
    assert first.status_code == second.status_code == 200
    assert "已重新开始处理" in first.content.decode()
    assert "已在重新处理" in second.content.decode()
    census.refresh_from_db()
    assert census.attempts == 2
    assert sent == [(census_services.CENSUS_VALIDATE_TASK, (census.pk,))]


def test_retry_is_refused_for_a_job_that_is_still_progressing_and_for_staff(
    admin_a, staff, county_a, settings, django_capture_on_commit_callbacks
):
    settings.CENSUS_JOB_STALL_SECONDS = 600
    census = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload([census_row(74_001)]))
    CensusImport.objects.filter(pk=census.pk).update(status=CensusImport.Status.VALIDATING, attempts=1)
    client = Client()
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console_members:census_retry", args=[census.pk]), {"attempts": "1"}, follow=True)
    assert "仍在处理" in response.content.decode()
    census.refresh_from_db()
    assert census.attempts == 1

    reader = Client()
    reader.force_login(staff)
    assert reader.post(reverse("console_members:census_retry", args=[census.pk]), {"attempts": "1"}).status_code == 404


def test_a_committed_census_file_is_deleted_and_abandoned_ones_after_the_retention_period(
    admin_a, county_a, settings, django_capture_on_commit_callbacks
):
    settings.CENSUS_UPLOAD_RETENTION_DAYS = 7
    with django_capture_on_commit_callbacks(execute=True):
        committed = census_services.census_import_create(
            actor=admin_a, org=county_a, file=csv_upload([census_row(75_001), census_row(75_002)])
        )
    committed.refresh_from_db()
    path = committed.file.name
    assert committed.status == CensusImport.Status.VALIDATED and default_storage.exists(path)
    with django_capture_on_commit_callbacks(execute=True):
        census_services.census_commit_start(actor=admin_a, census=committed)
    committed.refresh_from_db()
    assert committed.status == CensusImport.Status.COMMITTED
    assert not committed.file and committed.file_deleted_at is not None
    assert not default_storage.exists(path), "the uploaded list with full ID numbers is still on disk"

    with django_capture_on_commit_callbacks(execute=True):
        abandoned = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload([census_row(75_003)]))
        recent = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload([census_row(75_004)]))
    abandoned.refresh_from_db()
    old_path = abandoned.file.name
    CensusImport.objects.filter(pk=abandoned.pk).update(created_at=timezone.now() - timezone.timedelta(days=8))
    assert census_services.census_uploads_purge() == 1
    abandoned.refresh_from_db()
    recent.refresh_from_db()
    assert not abandoned.file and not default_storage.exists(old_path)
    assert recent.file and default_storage.exists(recent.file.name)
    # The preview still works without the file: the rows were read at validation.
    assert abandoned.rows.count() == 1


def test_the_purge_and_the_resend_sweep_are_on_the_beat_schedule():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {census_services.CENSUS_JOBS_RESEND_TASK, census_services.CENSUS_UPLOADS_PURGE_TASK} <= tasks
    resend = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == census_services.CENSUS_JOBS_RESEND_TASK)
    assert resend["schedule"] <= 120
