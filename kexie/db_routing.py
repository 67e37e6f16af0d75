"""Reads that tolerate a few seconds of lag go to a streaming replica; everything else stays on the primary.

With `DATABASE_REPLICA_URL` set, settings define a second alias, `replica`, and `DATABASE_ROUTERS` names
`ReplicaRouter`. A read goes to the replica only when all of these hold:

- the view declared it may (`@replica_reads`: dashboards, the public progress page, reports, exports), so the
  review queue, decisions and every other page read the primary without having to say so;
- the person is not pinned: whoever sent a write (a POST, PUT, PATCH or DELETE) reads from the primary for
  `DATABASE_REPLICA_PIN_SECONDS`, on this browser (a signed cookie) and on every device (a cache key);
- the primary connection is not inside a transaction: reads in a transaction may lock, may depend on its own
  uncommitted writes (the audit chain's previous row) and must see what the transaction will commit against;
- the replica answers and has replayed the primary's WAL to within `DATABASE_REPLICA_MAX_LAG_SECONDS`
  (`replica_usable`, checked at most every `DATABASE_REPLICA_CHECK_SECONDS` per process): a replica that is
  down, unreachable or far behind costs the page nothing but the primary's load;
- the model is not one that decides who may see what (sessions, accounts, permission grants, two-factor
  devices, lockouts: `DATABASE_REPLICA_PRIMARY_ONLY`), so a revoked grant or a new sign-in is never late.
  A scope that would join the grants into a replica query reads them from the primary first
  (orgs.permissions asks `reading_replica()`).

Writes, `select_for_update()` and `get_or_create()` always use the primary (Django asks `db_for_write`).
Without a replica nothing changes: the router answers None and Django uses `default`.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "kexie_primary_pin"
_PIN_SALT = "kexie.db_routing.pin"

_replica_allowed: ContextVar[bool] = ContextVar("kexie_replica_allowed", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_allowed():
    """Reads in this block may go to the replica (the router still keeps the cases above on the primary)."""
    token = _replica_allowed.set(True)
    try:
        yield
    finally:
        _replica_allowed.reset(token)


def _in_transaction() -> bool:
    """Reads inside a transaction on the primary stay there (see the module docstring)."""
    return connections[DEFAULT_DB_ALIAS].in_atomic_block


def reading_replica() -> bool:
    """Whether reads here go to the replica (a declared page, a replica configured, no open transaction)."""
    return _replica_allowed.get() and replica_configured() and not _in_transaction()


@contextmanager
def primary_reads():
    """Reads in this block use the primary even inside a page that allows the replica: a job run in-process
    (eager Celery tasks) reads what it then writes."""
    token = _replica_allowed.set(False)
    try:
        yield
    finally:
        _replica_allowed.reset(token)


def _pin_key(user_id) -> str:
    return f"kexie:db:primary-pin:{user_id}"


def pinned_to_primary(request) -> bool:
    """Whether this browser or this person wrote within the pin window."""
    seconds = settings.DATABASE_REPLICA_PIN_SECONDS
    if request.get_signed_cookie(PIN_COOKIE, default=None, salt=_PIN_SALT, max_age=seconds) is not None:
        return True
    user = getattr(request, "user", None)
    # The cache answers a miss when Redis is down (kexie.cache): the browser's cookie still pins.
    return bool(user is not None and user.is_authenticated and cache.get(_pin_key(user.pk)))


def pin_to_primary(request, response) -> None:
    seconds = settings.DATABASE_REPLICA_PIN_SECONDS
    response.set_signed_cookie(
        PIN_COOKIE, "1", salt=_PIN_SALT, max_age=seconds, secure=settings.SESSION_COOKIE_SECURE, httponly=True,
        samesite="Lax",
    )
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        cache.set(_pin_key(user.pk), 1, seconds)


# How far behind the replica is, in seconds: 0 when it has replayed everything it received (an idle primary
# sends nothing, so the age of the last replayed transaction alone would call an idle pair "late").
_LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
    "THEN 0 ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)
_health = {"checked": None, "usable": False}
_health_lock = threading.Lock()


def replica_lag_seconds() -> float:
    """The replica's replay lag; raises DatabaseError when it cannot be reached."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(_LAG_SQL)
        return float(cursor.fetchone()[0])


def _replica_connection_drop() -> None:
    """A broken replica connection is not reused by the next check."""
    connections[REPLICA].close()


def replica_usable() -> bool:
    """Whether the replica answers and lags at most DATABASE_REPLICA_MAX_LAG_SECONDS. The answer is kept for
    DATABASE_REPLICA_CHECK_SECONDS in this process, so a page pays for the check once in that window."""
    now = time.monotonic()
    with _health_lock:
        checked = _health["checked"]
        if checked is not None and now - checked < settings.DATABASE_REPLICA_CHECK_SECONDS:
            return _health["usable"]
        try:
            lag = replica_lag_seconds()
        except DatabaseError as exc:
            logger.warning("只读副本不可用，页面改从主库读取：%s", exc)
            _replica_connection_drop()
            usable = False
        else:
            usable = lag <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
            if not usable:
                logger.warning("只读副本落后主库 %.1f 秒，页面改从主库读取", lag)
        _health.update(checked=now, usable=usable)
        return usable


def replica_health_forget() -> None:
    """The next page checks the replica again (tests, and after an operator repaired it)."""
    with _health_lock:
        _health.update(checked=None, usable=False)


def replica_reads(view):
    """Declares that `view` only shows figures that may lag the primary by a few seconds."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        # Inside a transaction every read stays on the primary (the router), so the replica is not even asked.
        if not replica_configured() or _in_transaction() or pinned_to_primary(request) or not replica_usable():
            return view(request, *args, **kwargs)
        with replica_allowed():
            return view(request, *args, **kwargs)

    # Read by tests/kexie/test_db_routing.py: which pages may read the replica is a reviewed list.
    wrapper.reads_replica = True
    return wrapper


class PrimaryPinMiddleware:
    """After a write request, the person reads from the primary for the pin window (see the module docstring).

    After AuthenticationMiddleware: the pin is kept per person as well as per browser."""

    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in self.SAFE_METHODS:
            pin_to_primary(request, response)
        return response


class ReplicaRouter:
    """Django database router for the `replica` alias (settings.DATABASE_ROUTERS)."""

    def __init__(self):
        self.primary_only = {label.lower() for label in settings.DATABASE_REPLICA_PRIMARY_ONLY}

    def _primary_only(self, model) -> bool:
        meta = model._meta
        return meta.app_label in self.primary_only or meta.label_lower in self.primary_only

    def db_for_read(self, model, **hints):
        if not _replica_allowed.get() or not replica_configured():
            return None
        if _in_transaction() or self._primary_only(model):
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: an object read from one may refer to the other's.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica is read-only and receives the schema through replication.
        return db != REPLICA
