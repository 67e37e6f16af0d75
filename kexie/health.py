"""Health endpoints: `/healthz` fails whenever a page would, `/readyz` tells the proxy the process can serve.

`/healthz` renders the landing page through the configured static storage (in production the manifest
storage, so a missing or stale collectstatic fails here exactly as it fails every page), checks that the
stylesheet every page links can be served, and that the database answers. The broker and the cache are
reported but never fail it: requests the database can serve go on without Redis (see docs/RELIABILITY.md).
`/readyz` only asks the database, cheap enough for a proxy or load balancer to poll every few seconds.
Failures name the check and the exception type only; the details go to the log.
"""

import logging

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kexie.celery import app as celery_app

logger = logging.getLogger(__name__)

# A stylesheet every page links: if the storage cannot name it or the file is missing, pages are broken.
PAGE_STYLESHEET = "css/kexie.css"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _pages(request) -> None:
    render_to_string("home.html", request=request)
    # The manifest storage maps the name to its hashed copy and raises when the manifest lacks it.
    stored_name = getattr(staticfiles_storage, "stored_name", lambda name: name)(PAGE_STYLESHEET)
    served = staticfiles_storage.exists(stored_name) or (
        getattr(settings, "WHITENOISE_USE_FINDERS", False) and finders.find(PAGE_STYLESHEET)
    )
    if not served:
        raise FileNotFoundError(f"{PAGE_STYLESHEET} is not in STATIC_ROOT")


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process"
    with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    return "ok"


def _cache() -> str:
    cache.set("healthz", 1, 10)
    return "ok" if cache.get("healthz") == 1 else "unavailable"


def _run(name: str, check, *args) -> tuple[bool, str]:
    try:
        return True, check(*args) or "ok"
    except Exception as error:  # noqa: BLE001 - a health check reports every failure instead of raising it
        logger.exception("health check %s failed", name)
        return False, f"fail: {type(error).__name__}"


@never_cache
@require_safe
def healthz(request):
    checks = {"database": _run("database", _database), "pages": _run("pages", _pages, request)}
    optional = {"broker": _run("broker", _broker), "cache": _run("cache", _cache)}
    healthy = all(ok for ok, _ in checks.values())
    body = {"status": "ok" if healthy else "fail"}
    body.update({name: result for name, (_, result) in {**checks, **optional}.items()})
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_safe
def readyz(request):
    ok, result = _run("database", _database)
    return JsonResponse({"status": "ok" if ok else "fail", "database": result}, status=200 if ok else 503)
