"""The read-replica routing rules (kexie/db_routing.py), without a replica server: which alias the router
names for a read or a write, when a person is pinned to the primary, and which pages may read the replica."""

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from approvals.models import Application
from kexie import db_routing
from kexie.db_routing import (
    PIN_COOKIE,
    REPLICA,
    PrimaryPinMiddleware,
    ReplicaRouter,
    pinned_to_primary,
    replica_allowed,
    replica_reads,
)
from members.models import Membership, User
from orgs.models import OrgUserObjectPermission, ProgressSnapshot

# The pages whose figures may lag the primary by a few seconds. Adding one is a decision: the review queue,
# an application's page and every decision must never be here.
REPLICA_PAGES = {
    "orgs:dashboard",
    "orgs:dashboard_export",
    "orgs:audit_export",
    "progress:index",
    "progress:definitions",
    "approvals:report",
    "approvals:report_xlsx",
    "console_members:member_export",
    "console_members:census_people_export",
}
NEVER_REPLICA = {
    "approvals:queue",
    "approvals:queue_export",
    "approvals:detail",
    "approvals:decide",
    "approvals:batch_approve",
    "approvals:recommend_application",
    "approvals:workbench",
    "approvals_api:queue",
    "approvals_api:decide",
}


@pytest.fixture
def with_replica(settings, monkeypatch):
    """As if DATABASE_REPLICA_URL were set: the router only asks whether the alias exists (no server is needed
    to choose one; tests/replica/ runs against a real streaming replica)."""
    monkeypatch.setattr(db_routing, "replica_configured", lambda: True)
    monkeypatch.setattr(db_routing, "replica_usable", lambda: True)
    settings.DATABASE_REPLICA_PIN_SECONDS = 10
    return settings


@pytest.fixture
def replica_lag(settings, monkeypatch):
    """The replica's answer to the lag query, set by the test: a number of seconds or an exception."""
    answer = {"value": 0.0, "asked": 0}

    def lag():
        answer["asked"] += 1
        if isinstance(answer["value"], Exception):
            raise answer["value"]
        return answer["value"]

    monkeypatch.setattr(db_routing, "replica_lag_seconds", lag)
    monkeypatch.setattr(db_routing, "_replica_connection_drop", lambda: answer.__setitem__("dropped", True))
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 30
    settings.DATABASE_REPLICA_CHECK_SECONDS = 5
    db_routing.replica_health_forget()
    yield answer
    db_routing.replica_health_forget()


def test_a_replica_that_lags_or_does_not_answer_is_skipped(replica_lag, monkeypatch):
    from django.db import OperationalError

    clock = {"now": 1000.0}
    monkeypatch.setattr(db_routing.time, "monotonic", lambda: clock["now"])
    assert db_routing.replica_usable() is True
    replica_lag["value"] = 31.0
    assert db_routing.replica_usable() is True, "the answer is kept for the check window"
    assert replica_lag["asked"] == 1
    clock["now"] += 5
    assert db_routing.replica_usable() is False, "31 s behind is further than the 30 s allowed"
    replica_lag["value"] = OperationalError("connection refused")
    clock["now"] += 5
    assert db_routing.replica_usable() is False, "a replica that does not answer is skipped"
    assert replica_lag.get("dropped"), "its broken connection is not reused"
    replica_lag["value"] = 2.0
    clock["now"] += 5
    assert db_routing.replica_usable() is True, "once it answers and has caught up it is used again"
    assert replica_lag["asked"] == 4


def test_a_declared_page_reads_the_primary_while_the_replica_is_unusable(with_replica, monkeypatch):
    monkeypatch.setattr(db_routing, "replica_usable", lambda: False)
    assert _routed_in(replica_reads, _get()) is None


def test_inside_a_transaction_a_declared_page_does_not_even_ask_the_replica(with_replica, monkeypatch):
    """Reads in a transaction stay on the primary, so the health check (a query on the replica) is skipped."""
    asked = []
    monkeypatch.setattr(db_routing, "replica_usable", lambda: asked.append(1) or True)
    monkeypatch.setattr(db_routing.connections["default"], "in_atomic_block", True)
    assert _routed_in(replica_reads, _get()) is None, "the page reads the primary"
    assert asked == [], "the replica was asked while every read stays on the primary"


def test_without_a_replica_the_router_names_no_database(settings):
    """No DATABASE_REPLICA_URL: even a page that allows the replica reads from "default"."""
    assert REPLICA not in settings.DATABASES
    router = ReplicaRouter()
    with replica_allowed():
        assert router.db_for_read(ProgressSnapshot) is None
    assert router.db_for_write(ProgressSnapshot) == "default"


def test_a_read_goes_to_the_replica_only_where_the_page_allows_it(with_replica):
    router = ReplicaRouter()
    assert router.db_for_read(Application) is None, "an undeclared page reads the primary"
    with replica_allowed():
        assert router.db_for_read(ProgressSnapshot) == REPLICA
        assert router.db_for_read(Membership) == REPLICA
    assert router.db_for_read(ProgressSnapshot) is None, "the permission ends with the block"


def test_writes_always_go_to_the_primary(with_replica):
    router = ReplicaRouter()
    with replica_allowed():
        for model in (ProgressSnapshot, Application, Membership, User):
            assert router.db_for_write(model) == "default"


def test_who_may_see_what_is_always_read_from_the_primary(with_replica):
    """Sessions, accounts and permission grants: a revoked grant or a new sign-in is never late."""
    router = ReplicaRouter()
    with replica_allowed():
        for model in (Session, User, OrgUserObjectPermission):
            assert router.db_for_read(model) == "default", model._meta.label


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary(with_replica):
    """A transaction may lock rows or read what it has just written: its reads are never sent elsewhere."""
    router = ReplicaRouter()
    with replica_allowed(), transaction.atomic():
        assert router.db_for_read(ProgressSnapshot) == "default"


def test_select_for_update_and_get_or_create_use_the_primary(with_replica):
    with replica_allowed():
        assert ProgressSnapshot.objects.select_for_update().db == "default"
        assert ProgressSnapshot.objects.all().db == REPLICA
        qs = ProgressSnapshot.objects.all()
        qs._for_write = True  # what get_or_create and update_or_create set
        assert qs.db == "default"


def test_a_job_run_in_process_reads_the_primary(with_replica, monkeypatch):
    """An eager Celery task started from a page that reads the replica reads what it then writes: the primary."""
    from kexie import celery

    seen = {}

    class Signature:
        def apply_async(self, **options):
            seen["alias"] = ReplicaRouter().db_for_read(ProgressSnapshot)

    monkeypatch.setattr(celery.app, "signature", lambda name, args: Signature())
    with replica_allowed():
        assert celery.task_send("approvals.progress_recompute_dirty") is True
        assert ReplicaRouter().db_for_read(ProgressSnapshot) == REPLICA, "the page itself still reads the replica"
    assert seen == {"alias": None}


def test_the_replica_is_never_migrated(with_replica):
    router = ReplicaRouter()
    assert router.allow_migrate(REPLICA, "approvals") is False
    assert router.allow_migrate("default", "approvals") is True


def _routed_in(view_wrapper, request):
    seen = {}

    @view_wrapper
    def view(request):
        seen["alias"] = ReplicaRouter().db_for_read(ProgressSnapshot)
        return HttpResponse("ok")

    view(request)
    return seen["alias"]


def _get(path="/console/dashboard/", user=None, cookies=None):
    request = RequestFactory().get(path)
    request.user = user or AnonymousUser()
    request.COOKIES.update(cookies or {})
    return request


def test_a_declared_page_reads_the_replica_unless_the_person_is_pinned(with_replica):
    assert _routed_in(replica_reads, _get()) == REPLICA
    pin = signing.get_cookie_signer(salt=PIN_COOKIE + db_routing._PIN_SALT).sign("1")
    assert _routed_in(replica_reads, _get(cookies={PIN_COOKIE: pin})) is None, "a pinned browser reads the primary"
    assert _routed_in(replica_reads, _get(cookies={PIN_COOKIE: "1:forged"})) == REPLICA, "an unsigned pin is ignored"


def test_without_a_replica_a_declared_page_is_unchanged(settings):
    assert _routed_in(replica_reads, _get()) is None


def _post_through_middleware(request):
    return PrimaryPinMiddleware(lambda r: HttpResponse("saved"))(request)


@pytest.mark.django_db
def test_a_write_pins_the_browser_and_the_person_to_the_primary(with_replica, make_user):
    user = make_user("pinned_writer")
    request = RequestFactory().post("/console/targets/1/2026/")
    request.user = user
    response = _post_through_middleware(request)
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["httponly"] and cookie["max-age"] == 10
    # The same browser, later: the signed cookie pins it.
    assert pinned_to_primary(_get(cookies={PIN_COOKIE: cookie.value}))
    # The same person on another device (no cookie): the cache key pins them.
    assert pinned_to_primary(_get(user=user))
    other = make_user("someone_else")
    assert not pinned_to_primary(_get(user=other)), "only the person who wrote is pinned"


@pytest.mark.django_db
def test_a_read_request_pins_nobody(with_replica, make_user):
    user = make_user("reader")
    request = _get(user=user)
    response = _post_through_middleware(request)
    assert PIN_COOKIE not in response.cookies
    assert not pinned_to_primary(_get(user=user))


def test_the_pin_ends_after_the_window(with_replica, monkeypatch):
    request = RequestFactory().post("/x/")
    request.user = AnonymousUser()
    response = _post_through_middleware(request)
    later = _get(cookies={PIN_COOKIE: response.cookies[PIN_COOKIE].value})
    assert pinned_to_primary(later)
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + 11)
    assert not pinned_to_primary(later), "after DATABASE_REPLICA_PIN_SECONDS the replica is read again"


def test_without_a_replica_the_pin_middleware_is_not_loaded(settings):
    from django.core.exceptions import MiddlewareNotUsed

    with pytest.raises(MiddlewareNotUsed):
        PrimaryPinMiddleware(lambda r: HttpResponse())
    assert "kexie.db_routing.PrimaryPinMiddleware" in settings.MIDDLEWARE


def _callbacks(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _callbacks(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}", pattern.callback


def test_exactly_the_reviewed_pages_may_read_the_replica():
    """Dashboards, the public page, reports and exports; never the review queue or a decision."""
    callbacks = dict(_callbacks())
    declared = {name for name, view in callbacks.items() if getattr(view, "reads_replica", False)}
    assert declared == REPLICA_PAGES
    assert NEVER_REPLICA <= set(callbacks), "the names of the queue and decision pages are still right"
    assert not declared & NEVER_REPLICA


def teardown_module():
    cache.clear()
