"""Scale-out: the province dashboard's throughput with and without a streaming read replica, side by side.

The replica is named by KEXIE_BENCH_REPLICA_URL (a streaming standby of DATABASE_URL, for example made with
pg_basebackup -R), not by DATABASE_REPLICA_URL, so every other benchmark keeps measuring the primary alone. Two
gunicorn servers with the same configuration run at once, one of them with DATABASE_REPLICA_URL set
(kexie/db_routing.py then sends the dashboard's reads to the replica); rounds alternate between them.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

from django.conf import settings
from django.urls import reverse

from bench.benchmarks import DASHBOARD_URL_NAME, PROGRESS_RECOMPUTE_ALL, _admin_of
from bench.harness import (
    Context,
    LoadResult,
    Row,
    Server,
    benchmark,
    dotted,
    measure_url,
    session_cookie,
    unavailable,
)

REPLICA_URL_ENV = "KEXIE_BENCH_REPLICA_URL"
CLIENTS = 10
ROUNDS = 3
REQUESTS = int(os.environ.get("KEXIE_BENCH_REPLICA_REQUESTS", "300"))
SERVICE_REQUESTS = 40
# PostgreSQL 15 flushes a busy backend's statistics at least every 10 s once it goes idle.
STATS_FLUSH_SECONDS = 11


@contextmanager
def _server_with(environment: dict[str, str | None]):
    """A gunicorn server like the run's own, started with `environment` changed (None removes a variable)."""
    saved = {name: os.environ.get(name) for name in environment}
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        server = Server().start()  # gunicorn copies the environment when it starts
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    try:
        yield server
    finally:
        server.stop()


def _console_cookie(user) -> str:
    """A signed-in session that has passed the second factor, as an administrator's browser holds after signing
    in (production settings require TOTP for the console)."""
    from importlib import import_module

    from django.contrib.sessions.backends.base import SessionBase
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    cookie = session_cookie(user)
    key = dict(part.split("=", 1) for part in cookie.split("; "))[settings.SESSION_COOKIE_NAME]
    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.save()
    return cookie


def _scalar(url: str, sql: str):
    import psycopg2

    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        value = cursor.fetchone()[0]
    conn.close()
    return value


def _primary_url() -> str:
    from urllib.parse import quote

    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _replica_transactions(url: str) -> int:
    return _scalar(url, "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")


def _replica_caught_up(url: str, timeout: float = 120) -> float:
    """Seconds the replica took to replay everything the primary had written when this was called."""
    target = _scalar(_primary_url(), "SELECT pg_current_wal_lsn()::text")
    started = time.monotonic()
    while not _scalar(url, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"the replica did not replay up to {target} within {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - started


@benchmark("replica", "读副本：全省进度看板吞吐量，有无流复制副本（同一 gunicorn 配置，轮流测量）")
def dashboard_with_and_without_replica(ctx: Context) -> list[Row]:
    from orgs.models import Org, ProgressSnapshot

    name = "province dashboard req/s with the replica ÷ without"
    goal = "measured only (one machine: the replica shares the primary's 2 cores)"
    url = os.environ.get(REPLICA_URL_ENV, "")
    if not url:
        return unavailable(name, goal, f"set {REPLICA_URL_ENV} to a streaming replica of DATABASE_URL")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return unavailable(name, goal, "the primary must be PostgreSQL")
    if not _scalar(url, "SELECT pg_is_in_recovery()"):
        return unavailable(name, goal, f"{REPLICA_URL_ENV} is not a standby (pg_is_in_recovery() is false)")

    province = Org.objects.filter(parent=None).order_by("tree_id").first()
    if not ProgressSnapshot.objects.exists():
        dotted(PROGRESS_RECOMPUTE_ALL)()
    path = reverse(DASHBOARD_URL_NAME)
    cookie = _console_cookie(_admin_of(province))
    lag = _replica_caught_up(url)

    alone, scaled = LoadResult([], {}, 0.0), LoadResult([], {}, 0.0)
    before = _replica_transactions(url)
    with _server_with({"DATABASE_REPLICA_URL": None}) as primary_server, \
            _server_with({"DATABASE_REPLICA_URL": url}) as replica_server:
        for _ in range(ROUNDS):
            alone.add(measure_url(primary_server, path, cookie, clients=CLIENTS, requests=REQUESTS // ROUNDS))
            scaled.add(measure_url(replica_server, path, cookie, clients=CLIENTS, requests=REQUESTS // ROUNDS))
        one_alone = measure_url(primary_server, path, cookie, clients=1, requests=SERVICE_REQUESTS)
        one_scaled = measure_url(replica_server, path, cookie, clients=1, requests=SERVICE_REQUESTS)
        time.sleep(STATS_FLUSH_SECONDS)
        served = _replica_transactions(url) - before

    expected = REQUESTS // ROUNDS * ROUNDS
    complete = alone.statuses == {200: expected} and scaled.statuses == {200: expected}
    ratio = scaled.per_second / alone.per_second if alone.per_second else 0.0
    return [
        Row(name, f"{ratio:.2f}× ({scaled.per_second:.1f} vs {alone.per_second:.1f} req/s)", goal, None,
            f"{CLIENTS} clients, {ROUNDS} alternating rounds of {REQUESTS // ROUNDS} requests each; statuses with "
            f"replica {scaled.statuses}, without {alone.statuses}" + ("" if complete else "; NOT every request answered 200: the figures do not measure the dashboard")),
        Row("province dashboard p95 / p50, 10 clients: with the replica vs without",
            f"{scaled.p(95):.0f} / {scaled.p(50):.0f} ms vs {alone.p(95):.0f} / {alone.p(50):.0f} ms", goal, None,
            f"{province.name}, {ctx.server.workers} sync gunicorn workers per server"),
        Row("province dashboard p95 / p50 from one client: with the replica vs without",
            f"{one_scaled.p(95):.0f} / {one_scaled.p(50):.0f} ms vs {one_alone.p(95):.0f} / {one_alone.p(50):.0f} ms",
            goal, None, f"{SERVICE_REQUESTS} requests each, no queueing"),
        Row("transactions the replica served during the rounds", f"{served:,}",
            "> 0: the dashboard read the replica", served > 0,
            f"pg_stat_database on the replica (only the server with DATABASE_REPLICA_URL uses it); replication lag "
            f"before the rounds: caught up in {lag:.1f} s"),
    ]
