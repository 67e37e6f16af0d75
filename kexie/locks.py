"""PostgreSQL advisory locks, the project's two kinds.

- `job_lock`: periodic jobs take a session lock without waiting (a cache entry on SQLite). A job that finds
  it taken does nothing and returns; the next run picks up whatever is still due. Each job names its own key
  so different jobs never block each other.
- `transaction_lock`: a write that must be serialised (tree writes, the audit chain, codes sent to one
  address) waits for a transaction-level lock, released at commit or rollback. SQLite serialises writers by
  itself, so it takes nothing there.
"""

import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection


def job_lock_key(name: str) -> int:
    """A stable 31-bit advisory-lock key for a job name (crc32, so it survives restarts and processes)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


@contextmanager
def advisory_lock(*, key: int, cache_key: str) -> Iterator[bool]:
    """Yield whether this caller holds the lock; never blocks."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            acquired = cursor.fetchone()[0]
        try:
            yield acquired
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    # SQLite (development): a cache entry, expiring in case the holder dies.
    token = uuid.uuid4().hex
    acquired = cache.add(cache_key, token, timeout=3600)
    try:
        yield acquired
    finally:
        if acquired and cache.get(cache_key) == token:
            cache.delete(cache_key)


@contextmanager
def job_lock(name: str) -> Iterator[bool]:
    """The lock of the periodic job `name` (e.g. "deadlines-remind")."""
    with advisory_lock(key=job_lock_key(name), cache_key=f"job-lock:{name}") as acquired:
        yield acquired


def transaction_lock(key: int, subject: str | None = None) -> None:
    """Wait for the advisory lock `key` (and, with `subject`, the lock of that text within `key`) until the
    current transaction ends. Call it inside transaction.atomic()."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if subject is None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        else:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [key, subject])
