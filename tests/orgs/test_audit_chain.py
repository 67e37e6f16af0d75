"""The audit trail's hash chain, its verification and its archival."""

import gzip
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from orgs.models import AuditArchive, AuditEvent
from orgs.selectors.audit import audit_chain_verify
from orgs.services.audit import audit_archive, audit_record


def _write(n: int, org=None, actor=None, action="target.set"):
    return [audit_record(actor=actor, action=action, obj=org, org=org, data={"i": i, "名称": "测试"}) for i in range(n)]


def tamper(sql: str, params: list) -> None:
    """Change the table behind the application's back, as a database superuser could (on PostgreSQL with the
    triggers off for this transaction only)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_each_row_links_to_the_previous_rows_hash(county_a):
    events = _write(5, county_a)
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash and len(after.hash) == 64
    report = audit_chain_verify()
    assert report.intact and report.rows_checked == AuditEvent.objects.count()


@pytest.mark.django_db
def test_a_row_altered_in_the_database_is_the_first_broken_link(county_a):
    events = _write(6, county_a)
    tamper("UPDATE orgs_auditevent SET comment = %s WHERE id = %s", ["篡改", events[3].pk])
    report = audit_chain_verify(stop_at_first=False)
    assert report.first_break.event_id == events[3].pk
    assert "被改动" in report.first_break.reason
    assert [b.event_id for b in report.breaks] == [events[3].pk]
    with pytest.raises(CommandError):
        call_command("audit_verify")


@pytest.mark.django_db
def test_a_row_deleted_in_the_database_breaks_the_link_of_the_next(county_a):
    events = _write(5, county_a)
    tamper("DELETE FROM orgs_auditevent WHERE id = %s", [events[2].pk])
    report = audit_chain_verify()
    assert report.first_break.event_id == events[3].pk and "链接断开" in report.first_break.reason


@pytest.mark.django_db
def test_a_row_rewritten_with_a_fresh_hash_still_breaks_the_next_link(county_a):
    events = _write(4, county_a)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.comment = "伪造"
    tamper("UPDATE orgs_auditevent SET comment = %s, hash = %s WHERE id = %s",
           ["伪造", forged.chain_hash(forged.prev_hash), forged.pk])
    assert audit_chain_verify().first_break.event_id == events[2].pk


@pytest.mark.django_db
def test_the_verify_command_reports_an_intact_chain(county_a, capsys):
    _write(3, county_a)
    call_command("audit_verify")
    assert "审计记录完整" in capsys.readouterr().out


def _old_rows(n: int, org, days: int):
    with time_machine.travel(timezone.now() - timedelta(days=days), tick=False):
        return _write(n, org)


@pytest.mark.django_db
def test_archival_moves_only_rows_past_the_retention_to_a_compressed_file(county_a):
    old = _old_rows(4, county_a, days=200)
    young = _old_rows(2, county_a, days=179)
    assert audit_archive(dry_run=True) == 4
    archive = audit_archive()
    assert (archive.first_id, archive.last_id, archive.row_count) == (old[0].pk, old[-1].pk, 4)
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in young]).count() == 2
    with gzip.open(Path(settings.AUDIT_ARCHIVE_DIR) / archive.file_name, "rt", encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    assert [r["id"] for r in lines] == [e.pk for e in old] and lines[0]["data"]["名称"] == "测试"
    assert AuditEvent.objects.filter(action="audit.archive").exists()
    # The rows that remain still chain to the archive, and the file verifies on its own.
    report = audit_chain_verify()
    assert report.intact and report.archives_checked == 1


@pytest.mark.django_db
@override_settings(AUDIT_RETENTION_DAYS=30)
def test_a_retention_setting_below_six_months_still_keeps_six_months(county_a):
    _old_rows(3, county_a, days=100)
    assert audit_archive(dry_run=True) == 0


@pytest.mark.django_db
def test_an_archive_file_changed_afterwards_is_reported(county_a):
    _old_rows(2, county_a, days=400)
    archive = audit_archive()
    path = Path(settings.AUDIT_ARCHIVE_DIR) / archive.file_name
    path.write_bytes(path.read_bytes() + b"x")
    report = audit_chain_verify()
    assert not report.intact and report.first_break.archive == archive.file_name
    assert "SHA-256" in report.first_break.reason


@pytest.mark.django_db
def test_the_archive_command_dry_run_changes_nothing(county_a, capsys):
    _old_rows(2, county_a, days=300)
    before = AuditEvent.objects.count()
    call_command("audit_archive", "--dry-run")
    assert "将归档 2 条记录" in capsys.readouterr().out
    assert AuditEvent.objects.count() == before and not AuditArchive.objects.exists()


def test_the_archive_runs_monthly_from_beat():
    assert settings.CELERY_BEAT_SCHEDULE["audit-archive"]["task"] == "orgs.tasks.audit_archive"


# --- PostgreSQL: the trigger and concurrent writers -------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_updates_and_deletes_outside_the_archival_path(county_a):
    event = _old_rows(1, county_a, days=400)[0]
    young = _write(1, county_a)[0]
    for sql in ("UPDATE orgs_auditevent SET comment = 'x' WHERE id = %s", "DELETE FROM orgs_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [event.pk])
    # Naming an archive does not help a row the archive does not cover, nor one younger than six months.
    archive = AuditArchive.objects.create(
        first_id=young.pk, last_id=young.pk, row_count=1, cutoff=timezone.now(), first_prev_hash="0" * 64,
        last_hash="0" * 64, file_name="forged", file_sha256="0" * 64,
    )
    for target in (event, young):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
            c.execute("SELECT set_config('kexie.audit_archive_id', %s, true)", [str(archive.pk)])
            c.execute("DELETE FROM orgs_auditevent WHERE id = %s", [target.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM orgs_auditarchive WHERE id = %s", [archive.pk])
    assert AuditEvent.objects.filter(pk__in=[event.pk, young.pk]).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_lets_the_archival_path_remove_old_rows(county_a):
    old = _old_rows(3, county_a, days=365)
    archive = audit_archive()
    assert archive.row_count == 3 and not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert audit_chain_verify().intact


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(hebei, county_a, county_b):
    """Twelve threads write forty rows each at once: every row links to exactly one predecessor, none shares
    one, and the whole chain verifies."""
    barrier = threading.Barrier(12)
    errors = []

    def writer(org):
        try:
            barrier.wait()
            for _ in range(40):
                with transaction.atomic():
                    audit_record(actor=None, action="target.set", obj=org, org=org)
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(county_a if i % 2 else county_b,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    links = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(links) >= 480 and len(set(links)) == len(links)
    report = audit_chain_verify()
    assert report.intact, report.first_break
