"""A real streaming replica under the tests: scripts/replica_tests.py starts a throwaway primary cluster and a
replica made from it with pg_basebackup -R, and runs this folder with DATABASE_URL on the primary,
DATABASE_REPLICA_URL on the replica and KEXIE_REPLICA_TEST=1 (.ci/run does). pytest-django creates the test
database on the primary only (the replica alias is a test MIRROR); physical replication brings it to the replica.

Without KEXIE_REPLICA_TEST=1 the tests here are skipped."""

import os
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext

from kexie.db_routing import REPLICA

ENABLED = os.environ.get("KEXIE_REPLICA_TEST") == "1"
SKIP_REASON = (
    "需要真实的流复制只读副本：设置 KEXIE_REPLICA_TEST=1 并通过 scripts/replica_tests.py 运行"
    "（它启动主库与 pg_basebackup 生成的副本，并设置 DATABASE_URL 与 DATABASE_REPLICA_URL）"
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/replica/" in str(item.fspath).replace(os.sep, "/") and not ENABLED:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def _scalar(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def replica_catch_up(timeout: float = 20) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    target = _scalar("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while not _scalar(REPLICA, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]):
        if time.monotonic() > deadline:
            raise AssertionError(f"the replica did not replay up to {target} within {timeout:.0f} s")
        time.sleep(0.05)


@contextmanager
def replay_paused():
    """The replica stops applying the primary's WAL: a row written now exists on the primary only."""
    replica_catch_up()
    _scalar(REPLICA, "SELECT pg_wal_replay_pause()::text")
    deadline = time.monotonic() + 10
    while _scalar(REPLICA, "SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline, "the replica did not pause its replay"
        time.sleep(0.05)
    try:
        yield
    finally:
        _scalar(REPLICA, "SELECT pg_wal_replay_resume()::text")
        replica_catch_up()


@contextmanager
def queries_per_alias():
    """The statements each connection ran inside the block: {"default": [...], "replica": [...]}."""
    captured = {alias: CaptureQueriesContext(connections[alias]) for alias in ("default", REPLICA)}
    for context in captured.values():
        context.__enter__()
    sql: dict[str, list[str]] = {}
    try:
        yield sql
    finally:
        for alias, context in captured.items():
            context.__exit__(None, None, None)
            sql[alias] = [q["sql"] for q in context.captured_queries]


@pytest.fixture
def replica(transactional_db):
    """The replica alias of a running primary/replica pair, caught up with the primary."""
    if REPLICA not in settings.DATABASES:
        pytest.fail("KEXIE_REPLICA_TEST=1 但没有设置 DATABASE_REPLICA_URL：请用 scripts/replica_tests.py 运行")
    assert _scalar(REPLICA, "SELECT pg_is_in_recovery()"), "DATABASE_REPLICA_URL must name a streaming standby"
    assert not _scalar("default", "SELECT pg_is_in_recovery()"), "DATABASE_URL must name the primary"
    replica_catch_up()
    return REPLICA
