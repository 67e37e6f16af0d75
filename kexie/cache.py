"""A Redis cache that never fails a request: when Redis is unreachable every operation answers as a miss.

Everything the project keeps in the cache can be lost without harm (rate-limit counters, debounce keys,
the public page's copy of the figures, job progress counters), so an outage degrades to "allow and log":
reads return the default, add() answers True (the caller goes ahead as if it came first), writes and
deletes do nothing. One warning is logged per interval, not one per call, so an outage does not flood the
log. After a failure the backend does not try Redis again for `RETRY_AFTER` seconds, so a hung Redis costs
one socket timeout per process and interval instead of one per cache call.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
# At most one warning per this many seconds per process while Redis stays down.
LOG_INTERVAL = 60.0

_state_lock = threading.Lock()
_last_logged = 0.0
# Server location → monotonic time before which Redis is not tried again (shared by the per-thread backends).
_down_until: dict[str, float] = {}


class ResilientRedisCache(RedisCache):
    """django.core.cache.backends.redis.RedisCache whose operations degrade to a miss when Redis is down.

    OPTIONS may carry RETRY_AFTER (seconds, default 2): how long to skip Redis after a failed call, and
    MAX_TIMEOUT (seconds): no entry lives longer, whatever the caller asks. The other OPTIONS go to redis-py's
    connection pool as usual (socket_connect_timeout, socket_timeout).
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("RETRY_AFTER", 2.0))
        max_timeout = options.pop("MAX_TIMEOUT", None)
        self.max_timeout = None if max_timeout is None else int(max_timeout)
        super().__init__(server, {**params, "OPTIONS": options})
        self._location = ",".join(self._servers)

    def get_backend_timeout(self, timeout=DEFAULT_TIMEOUT):
        # A delete that failed while Redis was down leaves the old entry behind; the cap bounds how long such an
        # entry can be served once Redis is back (the session cache: a signed-out session stays signed out).
        seconds = super().get_backend_timeout(timeout)
        if self.max_timeout is not None and (seconds is None or seconds > self.max_timeout):
            return self.max_timeout
        return seconds

    def _call(self, operation: str, fallback, call):
        if _down_until.get(self._location, 0.0) > time.monotonic():
            return fallback
        try:
            return call()
        except UNREACHABLE as exc:
            self._unreachable(operation, exc)
            return fallback

    def _unreachable(self, operation: str, exc: Exception) -> None:
        global _last_logged
        now = time.monotonic()
        with _state_lock:
            _down_until[self._location] = now + self.retry_after
            if now - _last_logged < LOG_INTERVAL:
                return
            _last_logged = now
        logger.warning("cache unreachable (%s: %s); serving without it", operation, exc)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # True: the caller proceeds as if it came first (a debounce sends its job, a rate limit allows).
        return self._call("add", True, lambda: super(ResilientRedisCache, self).add(key, value, timeout, version))

    def get(self, key, default=None, version=None):
        return self._call("get", default, lambda: super(ResilientRedisCache, self).get(key, default, version))

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call("set", None, lambda: super(ResilientRedisCache, self).set(key, value, timeout, version))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, lambda: super(ResilientRedisCache, self).touch(key, timeout, version))

    def delete(self, key, version=None):
        return self._call("delete", False, lambda: super(ResilientRedisCache, self).delete(key, version))

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, lambda: super(ResilientRedisCache, self).get_many(keys, version))

    def has_key(self, key, version=None):
        return self._call("has_key", False, lambda: super(ResilientRedisCache, self).has_key(key, version))

    def incr(self, key, delta=1, version=None):
        # As if the counter had just started, so a limit counted in the cache lets the request through.
        return self._call("incr", delta, lambda: super(ResilientRedisCache, self).incr(key, delta, version))

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            "set_many", list(data), lambda: super(ResilientRedisCache, self).set_many(data, timeout, version)
        )

    def delete_many(self, keys, version=None):
        self._call("delete_many", None, lambda: super(ResilientRedisCache, self).delete_many(keys, version))

    def clear(self):
        return self._call("clear", False, lambda: super(ResilientRedisCache, self).clear())
