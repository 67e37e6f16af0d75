"""Pages kept as rendered until the database changes (kexie.page_cache): what the key holds, when nothing is
kept, that a kept page is never served after a write or to someone else, and that the pages so marked write
nothing."""

import threading

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kexie import page_cache
from members.models import Person
from tests.cache_keys import cache_keys

QUEUE = reverse("approvals:queue")
# The pages answered from the cache: a reviewed list, each a GET page that writes nothing.
CACHED_PAGES = {
    "approvals:queue", "approvals:workbench", "console_members:member_list", "members:me", "orgs:dashboard",
}


def _request(user, path="/console/review/?status=submitted", secret="s" * 32):
    request = RequestFactory().get(path)
    request.user = user
    SessionMiddleware(lambda r: None).process_request(request)
    request.session["kept"] = "a"
    request.session.save()
    request._messages = FallbackStorage(request)
    if secret:
        request.META["CSRF_COOKIE"] = secret
    return request


@pytest.fixture
def fixed_snapshot(monkeypatch):
    """A snapshot that does not move, so the key's other parts can be told apart on any database."""
    snapshot = {"value": "100:105:101"}
    monkeypatch.setattr(page_cache, "database_snapshot", lambda: snapshot["value"])
    return snapshot


@pytest.mark.django_db
def test_the_key_holds_the_person_session_csrf_secret_path_date_and_snapshot(city_admin, admin_a, fixed_snapshot,
                                                                              monkeypatch):
    request = _request(city_admin)
    key = page_cache.page_cache_key(request)
    assert key and key.startswith(page_cache.KEY_PREFIX)
    assert page_cache.page_cache_key(request) == key, "the same request, the same key"
    assert page_cache.page_cache_key(_request(admin_a)) != key
    other_path = _request(city_admin, path="/console/review/?status=returned")
    assert page_cache.page_cache_key(other_path) != page_cache.page_cache_key(_request(city_admin))
    assert page_cache.page_cache_key(_request(city_admin, secret="t" * 32)) != page_cache.page_cache_key(
        _request(city_admin))
    changed = _request(city_admin)
    before = page_cache.page_cache_key(changed)
    changed.session["kept"] = "b"
    assert page_cache.page_cache_key(changed) != before, "the session's data is part of the key"
    fixed_snapshot["value"] = "100:106:101"
    assert page_cache.page_cache_key(changed) != page_cache.page_cache_key(_request(city_admin)) != before
    from datetime import date

    monkeypatch.setattr(page_cache.timezone, "localdate", lambda: date(2030, 1, 2))
    assert page_cache.page_cache_key(changed) not in (before, None)


@pytest.mark.django_db
def test_nothing_is_kept_without_a_csrf_secret_with_messages_waiting_or_when_switched_off(city_admin, fixed_snapshot,
                                                                                       settings):
    assert page_cache.page_cache_key(_request(city_admin, secret=None)) is None
    waiting = _request(city_admin)
    messages.success(waiting, "已保存")
    assert page_cache.page_cache_key(waiting) is None
    posted = _request(city_admin)
    posted.method = "POST"
    assert page_cache.page_cache_key(posted) is None
    assert page_cache.page_cache_key(_request(city_admin))
    settings.PAGE_CACHE_SECONDS = 0
    assert page_cache.page_cache_key(_request(city_admin)) is None


@pytest.mark.django_db
def test_inside_a_transaction_or_on_sqlite_there_is_no_snapshot_and_every_request_renders(client, city_admin, county_a,
                                                                                         submit):
    """A plain database test runs inside a transaction, whose own writes leave the snapshot as it is: nothing may be
    kept there (nor on SQLite), so each request renders what is in the database now."""
    assert page_cache.database_snapshot() is None
    client.force_login(city_admin)
    client.get(QUEUE)
    submit(county_a, "事务内")
    assert "事务内" in client.get(QUEUE, {"subtree": "on"}).content.decode()
    submit(county_a, "事务内二")
    assert "事务内二" in client.get(QUEUE, {"subtree": "on"}).content.decode()


def _cached_views():
    found = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and getattr(pattern.callback, "cached_until_write", False):
                found.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return found


def test_the_pages_answered_from_the_cache_are_the_reviewed_list():
    assert _cached_views() == CACHED_PAGES


@pytest.mark.django_db
def test_the_cached_pages_write_nothing_when_they_render(client, city_admin, county_a, submit):
    """On a hit the view does not run: a page that wrote something (an access record, a counter) would lose the
    write. Each page is rendered with rows to show and its statements are read."""
    from approvals import services
    from approvals.models import Application

    application = submit(county_a, "只读页")
    services.application_approve(application=application, reviewer=city_admin)
    assert Application.objects.get(pk=application.pk).status == Application.Status.APPROVED
    submit(county_a, "待审人")
    pages = [(city_admin, reverse(name), {"subtree": "on"}) for name in sorted(CACHED_PAGES - {"members:me"})]
    pages.append((application.person.user, reverse("members:me"), {}))
    for user, path, query in pages:
        client.force_login(user)
        client.get(path, query)  # the first request after signing in stores the session's own state
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, query)
        assert response.status_code == 200, path
        writes = [q["sql"] for q in queries.captured_queries
                  if q["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
        assert writes == [], (path, writes)


# --- on PostgreSQL, outside a transaction: pages really kept ----------------------------------------------------


def _page_keys() -> list[str]:
    return cache_keys(page_cache.KEY_PREFIX + "*")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_page_is_answered_again_without_the_view_until_a_write_and_the_write_shows_at_once(client, city_admin,
                                                                                          county_a, submit):
    submit(county_a, "第一位")
    client.force_login(city_admin)
    query = {"subtree": "on"}
    client.get(QUEUE, query)  # the first answer sets the CSRF cookie the kept pages are filed under
    with CaptureQueriesContext(connection) as rendered:
        first = client.get(QUEUE, query).content.decode()
    with CaptureQueriesContext(connection) as kept:
        again = client.get(QUEUE, query).content.decode()
    assert "第一位" in first and again == first
    assert _page_keys(), "the page was kept"
    assert not any("approvals_application" in q["sql"] for q in kept.captured_queries), "the view did not run"
    assert len(kept.captured_queries) < len(rendered.captured_queries)

    submit(county_a, "第二位")
    after = client.get(QUEUE, query).content.decode()
    assert "第一位" in after and "第二位" in after, "a write anywhere files later requests under a new key"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_write_committed_while_a_page_renders_is_shown_on_the_next_request(client, city_admin, county_a, submit):
    """Another transaction holds an uncommitted rename while the page is rendered and kept; once it commits, the
    next request must show the new name, not the kept page."""
    application = submit(county_a, "旧名字")
    client.force_login(city_admin)
    query = {"subtree": "on"}
    client.get(QUEUE, query)
    written, commit, failures = threading.Event(), threading.Event(), []

    def rename():
        from django.db import connection as own, transaction

        try:
            with transaction.atomic():
                Person.objects.filter(pk=application.person_id).update(name="新名字")
                written.set()
                commit.wait(10)
        except Exception as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            own.close()

    thread = threading.Thread(target=rename)
    thread.start()
    assert written.wait(10)
    during = client.get(QUEUE, query).content.decode()
    assert "旧名字" in during and "新名字" not in during
    assert client.get(QUEUE, query).content.decode() == during, "kept while the rename is still open"
    commit.set()
    thread.join(10)
    assert not failures
    after = client.get(QUEUE, query).content.decode()
    assert "新名字" in after and "旧名字" not in after


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_another_administrator_of_the_same_organisation_never_gets_the_copy(client, city_admin, make_admin, city,
                                                                           county_a, submit):
    submit(county_a, "同城申请")
    colleague = make_admin(city, "同事管理员")
    client.force_login(city_admin)
    client.get(QUEUE)
    client.get(QUEUE)
    mine = client.get(QUEUE).content.decode()
    assert str(city_admin) in mine
    other = type(client)()
    other.force_login(colleague)
    other.get(QUEUE)
    theirs = other.get(QUEUE).content.decode()
    assert str(colleague) in theirs and str(city_admin) not in theirs
    assert len(_page_keys()) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_message_after_a_redirect_is_shown_once_and_the_page_is_not_kept_with_it(client, city_admin, county_a,
                                                                                  submit):
    application = submit(county_a, "消息测试")
    client.force_login(city_admin)
    client.get(QUEUE)
    client.get(QUEUE)
    response = client.post(reverse("approvals:decide", args=[application.pk]),
                           {"decision": "return", "comment": "请补充材料"}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]] if response.context else []
    assert shown, "the decision's message is shown"
    page = client.get(QUEUE).content.decode()
    assert not any(text in page for text in shown), "shown once: the next page has no message"
