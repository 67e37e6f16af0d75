"""Keys of the project's cache by pattern, on Redis (the PostgreSQL run) and on the local-memory cache."""

import fnmatch

from django.core.cache import cache


def cache_keys(*patterns: str) -> list:
    """The stored keys matching any of the glob `patterns` (given unprefixed, as the code names them). On Redis,
    only those: the cache database may also hold the Celery broker's queues."""
    redis = getattr(getattr(cache, "_cache", None), "get_client", None)
    if redis is None:
        return [key for key in list(cache._cache) if any(fnmatch.fnmatch(key, cache.make_key(p)) for p in patterns)]
    client = redis(write=True)
    return [key for pattern in patterns for key in client.scan_iter(match=cache.make_key(pattern))]
