"""Progress kept by deltas: events record counted changes in their own transaction, the recompute applies them
once up the tree, and whatever random stream of events happened, the result equals a full recount."""

import datetime as dt
import logging
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals import services as approvals
from approvals import tasks
from approvals.models import Application
from approvals.progress import progress_recompute_all, progress_recompute_dirty
from kexie.errors import DomainError
from kexie.validators import uscc_check_char
from members.models import Membership
from members.services.fees import fee_payment_record, fee_set
from members.services.memberships import STATUS_TRANSITIONS, membership_grade_set, membership_status_set, membership_transfer
from members.services.units import unit_member_create
from orgs.models import AuditEvent, Org, ProgressDelta, ProgressDirtyMark, ProgressSnapshot
from orgs.services.targets import targets_seed
from tests.approvals.progress_dataset import AS_OF, YEARS, defer_recounts

START = dt.datetime(2025, 1, 1, tzinfo=AS_OF.tzinfo)
# Moments are drawn to the millisecond: handling times are then not whole seconds, as in real use.
SPAN_MS = int((AS_OF - START).total_seconds()) * 1000


def _snapshots() -> dict:
    """Every snapshot's figures and completion (not its computed_at, which says when it was written)."""
    return {
        (s.org_id, s.year, s.scope): (s.counts, s.monthly, s.completion)
        for s in ProgressSnapshot.objects.order_by("org_id", "year", "scope")
    }


def _differences(left: dict, right: dict) -> list:
    """The figures that differ, by snapshot: ((org, year, scope), {figure: (left, right)})."""
    differences = []
    for key in sorted(right):
        (lc, lm, lt), (rc, rm, rt) = left[key], right[key]
        figures = {k: (lc.get(k), v) for k, v in rc.items() if lc.get(k) != v}
        figures.update({f"{k}/month": (lm.get(k), v) for k, v in rm.items() if lm.get(k) != v})
        if lt != rt:
            figures["completion"] = (lt, rt)
        if figures:
            differences.append((key, figures))
    return differences


class Rollback(Exception):
    pass


# --- the events of a random stream ---------------------------------------------------------------------------


def _open(status=None):
    applications = Application.objects.filter(status__in=status or Application.OPEN_STATUSES).order_by("pk")
    return list(applications)


def _pick(items, index):
    return items[index % len(items)] if items else None


def _event(kind: str, index: int, org: Org, *, reviewer, make_applicant, serial: int) -> None:
    """One change through the real services; a change the state does not allow is simply refused."""
    if kind == "submit":
        approvals.application_submit(person=make_applicant(f"流{serial}"), org=org, declaration_accepted=True)
    elif kind in ("approve", "reject", "return"):
        application = _pick(_open([Application.Status.SUBMITTED]), index)
        if application is None:
            return
        if kind == "approve":
            approvals.application_approve(application=application, reviewer=reviewer, override_reason="测试")
        elif kind == "reject":
            approvals.application_reject(application=application, reviewer=reviewer, comment="条件不符")
        else:
            approvals.application_return(application=application, reviewer=reviewer, comment="请补充材料")
    elif kind == "resubmit":
        application = _pick(_open([Application.Status.RETURNED]), index)
        if application is not None:
            approvals.application_resubmit(application=application, person=application.person)
    elif kind == "withdraw":
        application = _pick(_open(), index)
        if application is not None:
            approvals.application_withdraw(application=application, person=application.person)
    elif kind == "recommend":
        membership = _pick(list(Membership.objects.filter(status="active", org__parent__isnull=False).order_by("pk")), index)
        if membership is not None:
            approvals.recommendation_create(actor=reviewer, from_org=membership.org, person=membership.person,
                                            opinion="推荐", source_membership=membership)
    elif kind == "status":
        membership = _pick(list(Membership.objects.order_by("pk")), index)
        allowed = sorted(STATUS_TRANSITIONS.get(membership.status, ())) if membership else []
        if allowed:
            membership_status_set(actor=reviewer, membership=membership, status=allowed[index % len(allowed)],
                                  comment="调整")
    elif kind == "transfer":
        membership = _pick(list(Membership.objects.filter(status="active").order_by("pk")), index)
        if membership is not None:
            membership_transfer(actor=reviewer, membership=membership, target_org=org, comment="调动")
    elif kind == "category":
        membership = _pick(list(Membership.objects.filter(status="active").order_by("pk")), index)
        if membership is not None:
            other = [c for c in Membership.Category.values if c != membership.category]
            membership_grade_set(actor=reviewer, membership=membership, grade=membership.grade,
                                 category=other[index % len(other)])
    elif kind == "payment":  # records no delta: marks its org for a recount
        membership = _pick(list(Membership.objects.filter(status="active").order_by("pk")), index)
        if membership is not None:
            fee_payment_record(actor=reviewer, membership=membership, year=2026, kind="paid")
    elif kind == "unit":  # records no delta: marks its org for a recount
        first17 = f"9113020{serial:010d}"
        unit_member_create(actor=reviewer, org=org, name=f"流单位{serial}", uscc=first17 + uscc_check_char(first17))


KINDS = ("submit", "submit", "submit", "approve", "approve", "reject", "return", "resubmit", "withdraw",
         "recommend", "status", "transfer", "category", "payment", "unit")

steps = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, SPAN_MS)),
    min_size=5,
    max_size=30,
)


@pytest.fixture
def stream_world(hebei, make_applicant, make_members, province_admin, monkeypatch):
    """The Hebei tree with targets, fees at some orgs, members joined over three years, and snapshots of 2025 and
    2026 counted at AS_OF; no mark or delta pending. Recounts wait for the test to run them."""
    defer_recounts(monkeypatch)
    orgs = list(Org.objects.order_by("pk"))
    with time_machine.travel(AS_OF, tick=False):
        targets_seed(year=2025)
        targets_seed(year=2026)
        for i, org in enumerate(orgs[::9]):
            for year in YEARS:
                fee_set(actor=province_admin, org=org, category=Membership.Category.REGULAR, year=year,
                        amount=Decimal("0" if i % 4 == 0 else "50"))
        for i, org in enumerate(orgs[::5]):
            for member in make_members(org, 2):
                Membership.objects.filter(pk=member.pk).update(joined_on=dt.date(2024 + i % 3, 1 + i % 12, 10))
        assert progress_recompute_all(years=YEARS)
    ProgressDirtyMark.objects.all().delete()
    ProgressDelta.objects.all().delete()
    return orgs


def _stream_equals_a_full_recount(orgs, events, *, reviewer, make_applicant, on_commit) -> None:
    baseline = _snapshots()
    serial = 0
    for kind, index, org_index, offset in sorted(events, key=lambda e: e[3]):
        serial += 1
        with time_machine.travel(START + dt.timedelta(milliseconds=offset), tick=False):
            try:
                # Committed callbacks run as after a real commit: changes without deltas mark their org then.
                with on_commit(execute=True), transaction.atomic():
                    _event(kind, index, orgs[org_index % len(orgs)], reviewer=reviewer,
                           make_applicant=make_applicant, serial=serial)
            except DomainError:
                pass  # not allowed in this state (already a member there, the fellow cap...): nothing recorded
    with time_machine.travel(AS_OF, tick=False):
        assert progress_recompute_dirty()
        assert not ProgressDelta.objects.exists() and not ProgressDirtyMark.objects.exists()
        by_deltas = _snapshots()
        assert progress_recompute_all(years=YEARS)
    recount = _snapshots()
    changed = [key for key in recount if recount[key] != baseline[key]]
    assert by_deltas == recount, _differences(by_deltas, recount)
    # A submission always counts; a decision needs an open application, which the world starts without.
    if any(kind == "submit" for kind, *_rest in events):
        assert changed, "the stream changed some figure"


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(events=steps)
def test_any_stream_of_events_applied_as_deltas_equals_a_full_recount(stream_world, province_admin, make_applicant,
                                                                      django_capture_on_commit_callbacks, events):
    """Submissions, decisions, returns and resubmissions, withdrawals, recommendations, membership status changes,
    transfers and category changes at random orgs and moments, mixed with changes that only mark their org: after
    the deltas are applied, every snapshot (own and subtree, counts, months, target completion) equals a full
    recount."""
    try:
        with transaction.atomic():
            _stream_equals_a_full_recount(stream_world, events, reviewer=province_admin, make_applicant=make_applicant,
                                          on_commit=django_capture_on_commit_callbacks)
            raise Rollback
    except Rollback:
        pass


@pytest.mark.django_db
def test_a_fixed_stream_touching_every_kind_of_event_equals_a_full_recount(stream_world, province_admin,
                                                                           make_applicant,
                                                                           django_capture_on_commit_callbacks):
    """The same check on one long stream that surely contains every kind of event, each more than once."""
    rounds = 4
    step = SPAN_MS // (rounds * len(KINDS) + 1)
    events = [(kind, i * 7 + j, i * 31 + j * 5, (i * len(KINDS) + j) * step + 3_600_123 * j)
              for i in range(rounds) for j, kind in enumerate(KINDS)]
    _stream_equals_a_full_recount(stream_world, events, reviewer=province_admin, make_applicant=make_applicant,
                                  on_commit=django_capture_on_commit_callbacks)
    assert AuditEvent.objects.filter(action="membership.transfer_in").exists()
    assert AuditEvent.objects.filter(action="recommendation.create").exists()
    assert AuditEvent.objects.filter(action="application.resubmit").exists()
    assert any(a.decided_at.microsecond for a in Application.objects.filter(decided_at__isnull=False)), \
        "decisions at fractions of a second"
    assert any(counts["handling_seconds"] for counts, _monthly, _completion in _snapshots().values())


@pytest.mark.django_db
def test_a_decision_records_its_deltas_and_a_rolled_back_one_leaves_none(stream_world, province_admin,
                                                                         make_applicant, county_a):
    with time_machine.travel(AS_OF, tick=False):
        application = approvals.application_submit(person=make_applicant("回滚"), org=county_a,
                                                   declaration_accepted=True)
        assert {(d.key, d.month, d.n) for d in ProgressDelta.objects.filter(org=county_a, year=2026)} == {
            ("received", 11, 1), ("pending", 11, 1)}
        ProgressDelta.objects.all().delete()
        with pytest.raises(Rollback), transaction.atomic():
            approvals.application_approve(application=application, reviewer=province_admin, override_reason="测试")
            assert ProgressDelta.objects.filter(org=county_a, key="approved", n=1).exists()
            assert ProgressDelta.objects.filter(org=county_a, key="new_members", n=1).exists()
            raise Rollback
        assert not ProgressDelta.objects.exists(), "the rolled-back approval left no delta"
        application.refresh_from_db()
        assert application.status == Application.Status.SUBMITTED
        approvals.application_approve(application=application, reviewer=province_admin, override_reason="测试")
        deltas = {(d.key, d.month): d.n for d in ProgressDelta.objects.filter(org=county_a, year=2026)}
        assert deltas[("approved", 11)] == 1 and deltas[("pending", 11)] == -1
        assert deltas[("new_members", 11)] == 1 and deltas[("members_year_end", None)] == 1
        assert progress_recompute_dirty()
    own = ProgressSnapshot.objects.get(org=county_a, year=2026, scope="own")
    province = ProgressSnapshot.objects.get(org=county_a.get_root(), year=2026, scope="subtree")
    assert own.counts["approved"] == 1 and own.counts["new_members_county_level"] == 1
    assert province.counts["approved"] == 1 and province.monthly["new_members"][10] == 1


@pytest.mark.django_db
def test_the_nightly_run_verifies_the_snapshots_and_repairs_and_audits_a_difference(
    stream_world, province_admin, make_applicant, county_a, caplog
):
    with time_machine.travel(AS_OF, tick=False):
        approvals.application_submit(person=make_applicant("核对"), org=county_a, declaration_accepted=True)
        assert tasks.progress_recompute_all.apply().get() is True
        assert not AuditEvent.objects.filter(action="progress.repair").exists(), "deltas kept the snapshots exact"
        assert not ProgressDelta.objects.exists()
        right = _snapshots()
        # A faulty delta (what a wrong `application_counted` would record): the incremental run writes its
        # figures, with their digest, and the nightly recount must find and repair them.
        ProgressDelta.objects.create(org=county_a, year=2026, key="received", month=None, n=5)
        assert tasks.progress_recompute_dirty.apply().get() is True
        assert ProgressSnapshot.objects.get(org=county_a, year=2026, scope="own").counts["received"] == \
            right[(county_a.pk, 2026, "own")][0]["received"] + 5
        with caplog.at_level(logging.WARNING, logger="approvals.progress"):
            assert tasks.progress_recompute_all.apply().get() is True
    assert _snapshots() == right, "the recount was written"
    repairs = AuditEvent.objects.filter(action="progress.repair")
    # The delta went into the county's own figures and the subtree figures of it and every ancestor.
    assert sorted((r.org_id, r.data["scope"]) for r in repairs) == sorted(
        [(county_a.pk, "own")] + [(org.pk, "subtree") for org in county_a.get_ancestors(include_self=True)]
    )
    repair = repairs.get(data__scope="own")
    assert repair.org_id == county_a.pk
    assert repair.data == {"year": 2026, "scope": "own",
                           "differences": {"received": [right[(county_a.pk, 2026, "own")][0]["received"] + 5,
                                                        right[(county_a.pk, 2026, "own")][0]["received"]]}}
    assert "differed from a full recount" in caplog.text


# --- two workers racing, on PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_recomputes_and_decisions_apply_every_delta_exactly_once(hebei, make_applicant, province_admin,
                                                                       monkeypatch):
    """Two workers run the recompute over and over while a third thread keeps deciding: every delta is applied
    exactly once, and the snapshots end equal to a full recount."""
    defer_recounts(monkeypatch)
    year = AS_OF.year
    assert progress_recompute_all(years=[year])
    orgs = list(Org.objects.order_by("pk"))
    people = [make_applicant(f"竞{i}") for i in range(24)]
    applications = [approvals.application_submit(person=p, org=orgs[i * 11 % len(orgs)], declaration_accepted=True)
                    for i, p in enumerate(people)]
    done, errors, ran = threading.Event(), [], []

    def worker():
        try:
            while not done.is_set():
                ran.append(progress_recompute_dirty())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def decider():
        try:
            for i, application in enumerate(applications):
                if i % 3 == 0:
                    approvals.application_reject(application=application, reviewer=province_admin, comment="不符")
                else:
                    approvals.application_approve(application=application, reviewer=province_admin,
                                                  override_reason="测试")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            done.set()
            connection.close()

    threads = [threading.Thread(target=worker), threading.Thread(target=worker), threading.Thread(target=decider)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert True in ran, "the workers ran while the decisions were made"
    assert progress_recompute_dirty()
    assert not ProgressDelta.objects.exists()
    by_deltas = _snapshots()
    province = by_deltas[(hebei.pk, year, "subtree")][0]
    assert province["approved"] == 16 and province["rejected"] == 8 and province["pending"] == 0
    assert progress_recompute_all(years=[year])
    assert _snapshots() == by_deltas



@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_a_recompute_runs_is_counted_once_by_the_next_run(
    hebei, county_a, make_applicant, province_admin, monkeypatch
):
    """The recompute reads deltas, marks and recounts in one snapshot: an application submitted to a marked org
    while the run is recounting it is neither recounted nor consumed by that run, and the next run adds it once."""
    from approvals import progress

    defer_recounts(monkeypatch)
    year = AS_OF.year
    assert progress_recompute_all(years=[year])
    approvals.application_submit(person=make_applicant("先"), org=county_a, declaration_accepted=True)
    first17 = "91130200000000001"
    unit_member_create(actor=province_admin, org=county_a, name="某单位", uscc=first17 + uscc_check_char(first17))
    assert ProgressDirtyMark.objects.filter(org=county_a).exists(), "the unit member marked its org for a recount"
    late_person, submitted = make_applicant("后"), threading.Event()
    original = progress._apply_changes

    def submit_late():
        try:
            approvals.application_submit(person=late_person, org=county_a, declaration_accepted=True)
        finally:
            submitted.set()
            connection.close()

    def apply_while_another_submits(*args, **kwargs):
        if not submitted.is_set():
            thread = threading.Thread(target=submit_late)
            thread.start()
            thread.join(30)
        return original(*args, **kwargs)

    monkeypatch.setattr(progress, "_apply_changes", apply_while_another_submits)
    assert progress_recompute_dirty()
    own = ProgressSnapshot.objects.get(org=county_a, year=year, scope="own")
    assert own.counts["received"] == 1 and own.counts["new_unit_members"] == 1
    assert list(ProgressDelta.objects.values_list("org_id", "key", "n").order_by("key")) == [
        (county_a.pk, "pending", 1), (county_a.pk, "received", 1)], "the late submission's deltas wait"
    assert not ProgressDirtyMark.objects.exists()
    assert progress_recompute_dirty()
    by_deltas = _snapshots()
    assert by_deltas[(county_a.pk, year, "own")][0]["received"] == 2
    assert by_deltas[(hebei.pk, year, "subtree")][0]["received"] == 2
    assert progress_recompute_all(years=[year])
    assert _snapshots() == by_deltas


@pytest.mark.django_db
def test_applying_deltas_drops_the_public_pages_cached_copy_once_committed(
    stream_world, province_admin, make_applicant, county_a, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from orgs.selectors.progress import public_cache_key, progress_public

    with time_machine.travel(AS_OF, tick=False):
        before = progress_public(2026)
        assert cache.get(public_cache_key(2026)) is not None
        approvals.application_submit(person=make_applicant("公开"), org=county_a, declaration_accepted=True)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert progress_recompute_dirty()
        assert cache.get(public_cache_key(2026)) is not None, "nothing is dropped before the snapshots commit"
        for callback in callbacks:
            callback()
        assert cache.get(public_cache_key(2026)) is None
        assert progress_public(2026) != before, "the page shows the new snapshot"


@pytest.mark.postgres
@pytest.mark.django_db
def test_snapshot_pages_keep_room_for_the_nightly_rewrite():
    """Each nightly recount writes a new version of every snapshot; with pages half free PostgreSQL keeps it
    beside the old one (a HOT update) instead of growing the table and its index night after night."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'orgs_progresssnapshot'")
        (options,) = cursor.fetchone()
    assert "fillfactor=50" in (options or [])
