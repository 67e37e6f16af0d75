"""Pages kept as rendered until the database changes: a GET answered again from the cache while nothing was
written anywhere in the database since it was rendered.

The key holds the PostgreSQL snapshot the request starts from (`pg_current_snapshot()`: the oldest running
transaction, the next transaction id and the ones in progress). Two equal snapshots see the same rows, and a
snapshot never comes back once a transaction has started writing or has finished, so an entry can be served only
to requests that would read exactly the rows it was rendered from. The snapshot is read before the view runs:
the page may show rows committed a moment later, never older ones than its key.

Everything else a page shows comes from the request, and all of it is in the key: the person, their session
(its key and data), their CSRF secret (the page's forms carry a token for it), the path with its query string,
the language and today's date (overdue marks, "this year"). A request that brings messages to show, has no CSRF
secret yet, or reads a streaming replica is rendered as usual and not kept; so is an answer that is not a plain
200 page, that adds messages, changes the session or sets cookies. Entries live at most
settings.PAGE_CACHE_SECONDS, which also bounds how long a figure the page takes from the cache itself (the
review queue's approximate count) can be shown. On SQLite, inside a transaction, with the setting at 0, or with
Redis down, every request renders.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from kexie.db_routing import reading_replica

KEY_PREFIX = "page:"


def database_snapshot() -> str | None:
    """The primary's current snapshot as text, or None where it does not tell every change apart: on SQLite, and
    inside a transaction (whose own later writes leave the snapshot as it is)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


def _messages_waiting(request) -> int:
    # len() counts what is stored and queued without marking anything as shown.
    return len(messages.get_messages(request))


def page_cache_key(request) -> str | None:
    """The key of this request's page, or None when it must be rendered and not kept."""
    if not settings.PAGE_CACHE_SECONDS or request.method != "GET" or reading_replica():
        return None
    secret = request.META.get("CSRF_COOKIE")
    session = request.session
    if not secret or not session.session_key or not request.user.is_authenticated or _messages_waiting(request):
        return None
    snapshot = database_snapshot()
    if snapshot is None:
        return None
    parts = (
        request.user.pk, session.session_key, sorted(session.items()), secret, request.get_full_path(),
        translation.get_language(), timezone.localdate().isoformat(), snapshot,
    )
    return KEY_PREFIX + hashlib.sha256(repr(parts).encode()).hexdigest()


def _keepable(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").startswith("text/html")
        and not request.session.modified
        and not _messages_waiting(request)
    )


def cached_until_write(view):
    """Serve `view`'s page from the cache while the database and the request's own state are unchanged.

    For read-only pages only: on a hit the view does not run, so it must not write anything or send anything."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = page_cache_key(request)
        if key is None:
            return view(request, *args, **kwargs)
        kept = cache.get(key)
        if kept is not None:
            content, content_type = kept
            get_token(request)  # as rendering its forms would: the CSRF cookie's lifetime is renewed
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if _keepable(request, response):
            cache.set(key, (response.content, response["Content-Type"]), settings.PAGE_CACHE_SECONDS)
        return response

    wrapper.cached_until_write = True
    return wrapper
