"""Fixtures of the fault tests: a throwaway Redis that serves as cache and broker and that the test stops."""

import shutil

import pytest

from kexie import cache as resilient_cache
from kexie.celery import app
from tests.faults.throwaway import ThrowawayRedis

SESSION_CACHE_SECONDS = 3


def reset_broker_connections() -> None:
    # The app's connection and producer pools are bound to the broker URL they were made for; forget them so
    # the next publish uses broker_url as set now.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_server():
    if shutil.which("redis-server") is None:
        pytest.skip("需要 redis-server（apt-get install redis-server）")
    server = ThrowawayRedis().start()
    yield server
    server.stop()


@pytest.fixture
def redis_everywhere(redis_server, settings):
    """Cache and broker on the throwaway Redis, tasks sent through it (not eager), as in production."""
    settings.CACHES = {
        "default": {
            "BACKEND": "kexie.cache.ResilientRedisCache",
            "LOCATION": redis_server.url(0),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_AFTER": 0},
        },
        # As in kexie/settings/base.py (RETRY_AFTER as in production), with a lifetime short enough to wait for.
        "sessions": {
            "BACKEND": "kexie.cache.ResilientRedisCache",
            "LOCATION": redis_server.url(0),
            "KEY_PREFIX": "session",
            "OPTIONS": {
                "socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_AFTER": 2, "MAX_TIMEOUT": SESSION_CACHE_SECONDS,
            },
        },
    }
    # A Redis stopped by the previous test on the same port must not count as down for this one.
    resilient_cache._down_until.clear()
    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    # One database for both, as a worker started with REDIS_URL has it (kombu and cache keys do not overlap).
    app.conf.broker_url = redis_server.url(0)
    reset_broker_connections()
    yield redis_server
    app.conf.task_always_eager, app.conf.broker_url = saved
    reset_broker_connections()
    resilient_cache._down_until.clear()
