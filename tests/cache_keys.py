"""Keys of the project's cache by pattern, on Redis (the PostgreSQL run) and on the local-memory cache."""

import fnmatch

from django.core.cache import cache


def cache_on_redis() -> bool:
    """Whether the project's cache is django-redis (the PostgreSQL run) rather than the local-memory cache."""
    return getattr(getattr(cache, "_cache", None), "get_client", None) is not None


def cache_keys(*patterns: str) -> list:
    """The stored keys matching any of the glob `patterns` (given unprefixed, as the code names them). On Redis,
    only those: the cache database may also hold the Celery broker's queues."""
    if not cache_on_redis():
        return [key for key in list(cache._cache) if any(fnmatch.fnmatch(key, cache.make_key(p)) for p in patterns)]
    client = cache._cache.get_client(write=True)
    return [key for pattern in patterns for key in client.scan_iter(match=cache.make_key(pattern))]
