"""The one lock kind of periodic jobs: a PostgreSQL session advisory lock, or a cache entry on SQLite.

A job that finds the lock taken does nothing and returns; the next run picks up whatever is still due. Each
job names its own key so different jobs never block each other.
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
