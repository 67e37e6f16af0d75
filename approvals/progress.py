"""The progress computation: a few GROUP BY queries over a whole year, folded and rolled up the tree in Python.

What each figure means is defined once in orgs/figures.py (label, definition, rule); this module counts the
stored ones, one aggregate query per source, for every organisation at once (snapshots) or for one subtree
(the annual report, `figures_count`). Both go through `own_tallies`, so a page can never count differently
from the snapshot it is compared with.

Counting notes (calendar year Y in Asia/Shanghai):
- applications are received in the month they were created and approved / rejected / withdrawn in the month
  of the decision; pending and overdue are applications received in Y that are still open at the time of
  counting (`as_of`), overdue meaning past `due_on` as approvals.deadlines sets it; handling time is
  decided_at − submitted_at (the latest submission), in calendar days;
- memberships count by `Membership.origin`: only admissions (application) are new members; census imports and
  transfers are their own figures; year-end members are live memberships that started by the end of Y;
- unit members and fees: see their definitions; fee counts come from members.selectors.fees.

Keeping the snapshots current by deltas:
- A decision (approvals.services) or a membership change (members.services, through the `memberships_changed`
  signal, received synchronously) records its effect on the counted figures as ProgressDelta rows in its own
  transaction: what the changed records count for after the change minus what they counted for before, worked
  out per record by `application_counted`, `recommendation_counted` and `membership_counted` from the same
  definitions as the aggregate queries (the equality test over random event streams holds them together). A
  rolled-back change leaves no delta. Memberships count in every maintained year (year-end members, fees), so
  their deltas cover the years `_years_to_maintain` names at the time of the change.
- Changes that record no delta (fees and payments, renewals, unit members, census imports, targets) mark their
  organisations (ProgressDirtyMark), which are recounted whole, as before.
- `progress_recompute_dirty` reads the pending deltas and marks in one REPEATABLE READ snapshot (PostgreSQL),
  adds each org's net change to its own snapshot and to the subtree snapshots of it and its ancestors, recounts
  marked orgs, and deletes exactly the deltas it read; the recompute lock means one run at a time, so each delta
  is applied once; a delta committed after the snapshot waits for the next run.
- Time-dependent and derived figures: `overdue` (waiting past the due date "now") cannot be a delta, so it is
  recounted, in one query over open applications, for every org whose snapshot a run rewrites; elsewhere it is
  as of that snapshot's `computed_at` until the nightly full recount. Handling time is kept as a sum of whole
  seconds (`handling_seconds`, both timestamps truncated to the second so that per-record deltas add up exactly
  to the aggregate) and the average is derived (sum / decided).
- The nightly full recompute (`progress_recompute_all(verify=True)`) first applies pending deltas, then recounts
  everything in the same snapshot and compares: any stored figure other than `overdue` that differs from the
  recount is logged and audited (progress.repair), and the recount is written.
- A recount compares each snapshot's stored `digest` (orgs.figures.snapshot_digest of the figures it was
  written with) with the digest of its new figures instead of reading ~20,000 rows of JSON back: equal digests
  are equal figures, and only the rows whose digest differs are read whole, for the report above. Every
  snapshot is written here with its digest; a row whose digest is empty (written before digests) is rewritten.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, connections, transaction
from django.db.models import Case, Count, DurationField, ExpressionWrapper, IntegerField, Q, Sum, When
from django.db.models.functions import Cast, ExtractMonth, TruncSecond
from django.utils import timezone

from approvals.models import Application, Recommendation
from kexie.locks import advisory_lock
from kexie.scheduler import task_wake_key
from members.models import Fee, FeePayment, Membership, UnitMember
from members.selectors.fees import fee_counts
from members.services.memberships import LIVE_STATUSES
from orgs.figures import Figures, Tally, completion, snapshot_digest, snapshot_is_current, year_bounds
from orgs.models import Org, ProgressDelta, ProgressDirtyMark, ProgressSnapshot, Target
from orgs.services.audit import audit_record
from orgs.services.progress import progress_deltas_record, progress_public_invalidate

logger = logging.getLogger(__name__)


# (org_id, key, month or None, n) rows; month None adds to the total only.
Row = tuple[int, str, int | None, int]


def _month(field: str) -> Cast:
    """The (local) month of `field` as an integer: PostgreSQL's EXTRACT gives a numeric, slower to group by and
    read back as a Decimal."""
    return Cast(ExtractMonth(field), IntegerField())


def _month_in(field: str, start, end) -> Case:
    """The month of `field` when it falls in [start, end), else NULL: one GROUP BY serves two date ranges."""
    return Case(
        When(**{f"{field}__gte": start, f"{field}__lt": end}, then=_month(field)),
        default=None,
        output_field=IntegerField(),
    )


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=1), default=0, output_field=IntegerField())


def _org_filter(field: str, org_ids: set[int] | None) -> Q:
    return Q(**{f"{field}__in": org_ids}) if org_ids is not None else Q()


_FINAL_KEYS = {Application.Status.APPROVED: "approved", Application.Status.REJECTED: "rejected",
               Application.Status.WITHDRAWN: "withdrawn"}
_DECIDED = (Application.Status.APPROVED, Application.Status.REJECTED)


def _driver_rows(queryset) -> Iterator[tuple]:
    """A grouped `values_list` query's rows as the database driver returns them, without Django's converter call
    per value: a national recount reads over a million such rows. The caller converts what needs it (SQLite
    gives a summed duration as microseconds)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(5000):
            yield from rows


def _seconds(duration) -> int:
    """A summed duration as whole seconds: a timedelta (PostgreSQL) or microseconds (SQLite)."""
    if type(duration) is dt.timedelta:
        return duration.days * 86400 + duration.seconds  # whole seconds: the sum is of whole seconds
    return int(duration) // 1_000_000


def _applications(year: int, org_ids: set[int] | None, as_of: dt.datetime) -> Iterable[Row]:
    start, end = year_bounds(year)
    # Overdue as the review queue marks it (approvals.deadlines): waiting for the org past its due date.
    today = timezone.localdate(as_of)
    rows = (
        Application.objects.filter(
            _org_filter("org_id", org_ids),
            Q(created_at__gte=start, created_at__lt=end) | Q(decided_at__gte=start, decided_at__lt=end),
        )
        .annotate(
            cm=_month_in("created_at", start, end),
            dm=_month_in("decided_at", start, end),
            late=_flag(Q(status=Application.Status.SUBMITTED, due_on__lt=today)),
        )
        .values_list("org_id", "status", "cm", "dm", "late")
        .annotate(
            n=Count("id"),
            # Whole seconds on both sides, so that the deltas of single applications add up to this sum exactly;
            # truncated in UTC, which gives the same seconds as local time without converting every row.
            handling=Sum(ExpressionWrapper(
                TruncSecond("decided_at", tzinfo=dt.timezone.utc) - TruncSecond("submitted_at", tzinfo=dt.timezone.utc),
                output_field=DurationField(),
            )),
        )
        .order_by()
    )
    final, decided, open_statuses = _FINAL_KEYS, _DECIDED, Application.OPEN_STATUSES
    for org_id, status, cm, dm, late, n, handling in _driver_rows(rows):
        if cm is not None:
            yield org_id, "received", cm, n
            if status in open_statuses:
                yield org_id, "pending", cm, n
                if late:
                    yield org_id, "overdue", None, n
        if dm is not None and status in final:
            yield org_id, final[status], dm, n
            if status in decided and handling is not None:
                yield org_id, "handling_seconds", None, _seconds(handling)


def _recommendations(year: int, org_ids: set[int] | None, as_of: dt.datetime) -> Iterable[Row]:
    start, end = year_bounds(year)
    approved_in_year = Q(
        application__status=Application.Status.APPROVED,
        application__decided_at__gte=start,
        application__decided_at__lt=end,
    )
    rows = (
        Recommendation.objects.filter(
            _org_filter("from_org_id", org_ids), Q(created_at__gte=start, created_at__lt=end) | approved_in_year
        )
        .annotate(
            cm=_month_in("created_at", start, end),
            am=Case(When(approved_in_year, then=_month("application__decided_at")), default=None,
                    output_field=IntegerField()),
        )
        .values_list("from_org_id", "cm", "am")
        .annotate(n=Count("id"))
        .order_by()
    )
    for org_id, cm, am, n in _driver_rows(rows):
        if cm is not None:
            yield org_id, "recommendations_made", cm, n
        if am is not None:
            yield org_id, "recommendations_accepted", am, n


# A membership that started in Y counts, by its origin, as one of these.
_JOINED_KEYS = {
    Membership.Origin.APPLICATION: "new_members",
    Membership.Origin.CENSUS: "existing_registered",
    Membership.Origin.TRANSFER: "transferred_in",
}


def _memberships(year: int, org_ids: set[int] | None, as_of: dt.datetime) -> Iterable[Row]:
    live = list(LIVE_STATUSES)
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    rows = (
        Membership.objects.filter(_org_filter("org_id", org_ids), Q(joined_on__lt=end))
        .filter(Q(joined_on__gte=start) | Q(status__in=live))
        .annotate(
            jm=_month_in("joined_on", start, end),
            is_live=_flag(Q(status__in=live)),
            before=_flag(Q(joined_on__lt=start)),
        )
        .values_list("org_id", "origin", "jm", "is_live", "before")
        .annotate(n=Count("id"))
        .order_by()
    )
    for org_id, origin, jm, is_live, before, n in _driver_rows(rows):
        if jm is not None:
            yield org_id, _JOINED_KEYS[origin], jm, n
        if is_live:
            yield org_id, "members_year_end", None, n
            if before:
                yield org_id, "members_prev_year_end", None, n


def _unit_members(year: int, org_ids: set[int] | None, as_of: dt.datetime) -> Iterable[Row]:
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    active = Q(status=UnitMember.Status.ACTIVE)
    rows = (
        UnitMember.objects.filter(_org_filter("org_id", org_ids), joined_on__lt=end)
        .filter(Q(joined_on__gte=start) | active)
        .annotate(jm=_month_in("joined_on", start, end), is_active=_flag(active))
        .values_list("org_id", "jm", "is_active")
        .annotate(n=Count("id"))
        .order_by()
    )
    for org_id, jm, is_active, n in rows:
        if jm is not None:
            yield org_id, "new_unit_members", jm, n
        if is_active:
            yield org_id, "unit_members_year_end", None, n


def _fees(year: int, org_ids: set[int] | None, as_of: dt.datetime) -> Iterable[Row]:
    for org_id, counts in fee_counts(year=year, org_ids=org_ids).items():
        for key, n in counts.items():
            yield org_id, key, None, n


_SOURCES: tuple[Callable[[int, set[int] | None, dt.datetime], Iterable[Row]], ...] = (
    _applications,
    _recommendations,
    _memberships,
    _unit_members,
    _fees,
)


def _fold(tallies: dict[int, Tally], orgs: dict[int, Org], rows: Iterable[Row]) -> None:
    """Add each row's n to one figure of its org's tally (made on first use); new members also count at the
    level of the org admitting them. The loop body is kept inline: a national recount folds over a million
    rows."""
    empty = Tally.empty
    for org_id, key, month, n in rows:
        tally = tallies.get(org_id)
        if tally is None:
            tally = tallies[org_id] = empty()
        tally.counts[key] += n
        if month is not None:
            months = tally.monthly.get(key)
            if months is not None:
                months[month - 1] += n
        if key == "new_members":
            level_key = f"new_members_{orgs[org_id].level}_level"
            tally.counts[level_key] += n
            tally.monthly[level_key][month - 1] += n


def own_tallies(
    year: int, orgs: dict[int, Org], org_ids: set[int] | None = None, as_of: dt.datetime | None = None
) -> dict[int, Tally]:
    """Own counts of `org_ids` (every org when None): one aggregate query per source, whatever the tree size."""
    as_of = as_of or timezone.now()
    tallies: dict[int, Tally] = {}
    for source in _SOURCES:
        _fold(tallies, orgs, source(year, org_ids, as_of))
    wanted = org_ids if org_ids is not None else set(orgs)
    return {org_id: tallies[org_id] if org_id in tallies else Tally.empty() for org_id in wanted}


def roll_up(orgs: dict[int, Org], own: dict[int, Tally]) -> dict[int, Tally]:
    """Subtree tallies of every org: deepest first, each adds its subtree into its parent's. Only orgs with
    children get a tally of their own to add into; a leaf's subtree tally is its own tally, the same object
    (most orgs are leaves; neither tally is changed after this)."""
    parents = {org.parent_id for org in orgs.values()}
    subtree = {org_id: own[org_id].copy() if org_id in parents else own[org_id] for org_id in orgs}
    for org in sorted(orgs.values(), key=lambda o: -o.depth):
        if org.parent_id is not None and org.parent_id in subtree:
            subtree[org.parent_id].add(subtree[org.pk])
    return subtree


def figures_count(*, org: Org, year: int, as_of: dt.datetime | None = None) -> tuple[Figures, Figures]:
    """Live figures of one org: (own, subtree), counted now with the snapshot's sources and definitions."""
    as_of = as_of or timezone.now()
    orgs = {o.pk: o for o in Org.objects.in_subtree(org).only("id", "parent_id", "level")}
    tallies = own_tallies(year, orgs, set(orgs), as_of)
    subtree = Tally.empty()
    for tally in tallies.values():
        subtree.add(tally)
    return Figures.from_tally(tallies[org.pk], as_of), Figures.from_tally(subtree, as_of)


# --- deltas: what one record counts for, and the change an event makes ------------------------------------

# {(org_id, year, key, month or None): n}
Counted = Counter


def _local_month(moment: dt.datetime) -> tuple[int, int]:
    local = timezone.localtime(moment)
    return local.year, local.month


def _whole_seconds(later: dt.datetime, earlier: dt.datetime) -> int:
    return int((later.replace(microsecond=0) - earlier.replace(microsecond=0)).total_seconds())


def application_counted(application: Application | None) -> Counted:
    """What one application counts for in every year, by the definitions `_applications` aggregates (without
    `overdue`, which depends on the day of counting)."""
    counted = Counted()
    if application is None:
        return counted
    org_id, status = application.org_id, application.status
    if application.created_at is not None:
        year, month = _local_month(application.created_at)
        counted[(org_id, year, "received", month)] += 1
        if status in Application.OPEN_STATUSES:
            counted[(org_id, year, "pending", month)] += 1
    if application.decided_at is not None and status in _FINAL_KEYS:
        year, month = _local_month(application.decided_at)
        counted[(org_id, year, _FINAL_KEYS[status], month)] += 1
        if status in _DECIDED and application.submitted_at is not None:
            counted[(org_id, year, "handling_seconds", None)] += _whole_seconds(
                application.decided_at, application.submitted_at
            )
    return counted


def recommendation_counted(recommendation: Recommendation | None, application: Application | None) -> Counted:
    """What a recommendation counts for its recommending org, given the state of the application it led to."""
    counted = Counted()
    if recommendation is None:
        return counted
    year, month = _local_month(recommendation.created_at)
    counted[(recommendation.from_org_id, year, "recommendations_made", month)] += 1
    if (application is not None and application.status == Application.Status.APPROVED
            and application.decided_at is not None):
        year, month = _local_month(application.decided_at)
        counted[(recommendation.from_org_id, year, "recommendations_accepted", month)] += 1
    return counted


_FEE_OWING = (Membership.Status.ACTIVE, Membership.Status.PENDING_RENEWAL)


def membership_counted(
    membership: Membership | None, years: Iterable[int], charged: set[tuple[int, str, int]],
    settled: dict[tuple[int, int], set[str]],
) -> Counted:
    """What one membership counts for, by the definitions `_memberships` and members.selectors.fees aggregate:
    the year it joined (by origin) and, in each of `years`, the year-end members and the fee figures.
    `charged` holds (org_id, category, year) of non-zero fees, `settled` the payment kinds by (membership, year)."""
    counted = Counted()
    if membership is None:
        return counted
    org_id, joined = membership.org_id, membership.joined_on
    counted[(org_id, joined.year, _JOINED_KEYS[membership.origin], joined.month)] += 1
    live = membership.status in LIVE_STATUSES
    for year in years:
        if joined >= dt.date(year + 1, 1, 1):
            continue
        if live:
            counted[(org_id, year, "members_year_end", None)] += 1
            if joined < dt.date(year, 1, 1):
                counted[(org_id, year, "members_prev_year_end", None)] += 1
        if membership.status in _FEE_OWING and (org_id, membership.category, year) in charged:
            kinds = settled.get((membership.pk, year), set())
            counted[(org_id, year, "fee_due", None)] += 1
            counted[(org_id, year, "fee_paid", None)] += FeePayment.Kind.PAID in kinds
            counted[(org_id, year, "fee_exempt", None)] += FeePayment.Kind.EXEMPT in kinds
    return counted


def application_change_record(*, before: Application | None, after: Application) -> None:
    """Record, in the caller's transaction, how a change of `after` (a copy of it as it was: `before`, or None
    for a new application) changes the counted figures, its recommendation's included. The caller wakes the
    recompute after commit (approvals.signals.application_decided)."""
    change = application_counted(after)
    change.subtract(application_counted(before))
    if after.recommendation_id is not None:
        recommendation = after.recommendation
        change.update(recommendation_counted(recommendation, after))
        if before is not None:
            change.subtract(recommendation_counted(recommendation, before))
    progress_deltas_record(rows=change)


def memberships_change_record(*, changes: Iterable[tuple[Membership | None, Membership | None]]) -> None:
    """Record, in the caller's transaction, how these (before, after) membership changes change the figures."""
    changes = list(changes)
    states = [m for pair in changes for m in pair if m is not None]
    if not states:
        return
    years = _years_to_maintain()
    charged = set(
        Fee.objects.filter(
            org_id__in={m.org_id for m in states}, category__in={m.category for m in states}, year__in=years,
            amount__gt=0,
        ).values_list("org_id", "category", "year")
    )
    settled: dict[tuple[int, int], set[str]] = defaultdict(set)
    # A membership created by this change (an admission) has no payments yet.
    existing = {before.pk for before, _after in changes if before is not None}
    if existing:
        for membership_id, year, kind in FeePayment.objects.filter(
            membership_id__in=existing, year__in=years
        ).values_list("membership_id", "year", "kind"):
            settled[(membership_id, year)].add(kind)
    change = Counted()
    for before, after in changes:
        change.update(membership_counted(after, years, charged, settled))
        change.subtract(membership_counted(before, years, charged, settled))
    progress_deltas_record(rows=change)


# --- snapshots: the recount and its lock ------------------------------------------------------------------


# Arbitrary constant naming "the progress recompute" among PostgreSQL advisory locks.
PROGRESS_LOCK_KEY = 0x6B650050

PROGRESS_LOCK_CACHE_KEY = "progress:recompute-lock"

# The Celery name of the recount of marked orgs (approvals.tasks registers it; the receiver wakes it).
PROGRESS_RECOUNT_TASK = "approvals.tasks.progress_recompute_dirty"

PROGRESS_SCHEDULED_CACHE_KEY = task_wake_key(PROGRESS_RECOUNT_TASK)

_lock_state = threading.local()


@contextmanager
def progress_lock() -> Iterator[bool]:
    """Yield whether this caller holds the recompute lock; two recomputes never overlap.

    Not re-entrant: PostgreSQL grants a session its own advisory lock again, so a nested attempt in the
    same thread is refused here explicitly.
    """
    if getattr(_lock_state, "held", False):
        yield False
        return
    _lock_state.held = True
    try:
        with _progress_lock_acquire() as acquired:
            yield acquired
    finally:
        _lock_state.held = False


def _progress_lock_acquire():
    return advisory_lock(key=PROGRESS_LOCK_KEY, cache_key=PROGRESS_LOCK_CACHE_KEY)


def _org_index() -> dict[int, Org]:
    return {o.pk: o for o in Org.objects.only("id", "parent_id", "level", "kind", "depth", "tree_id", "lft", "rght")}


def _targets_by_org(year: int, org_ids: set[int] | None = None) -> dict[int, dict[str, int]]:
    qs = Target.objects.filter(year=year)
    if org_ids is not None:
        qs = qs.filter(org_id__in=org_ids)
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for org_id, metric, value in qs.values_list("org_id", "metric", "value"):
        result[org_id][metric] = value
    return result


def _stored_snapshots(
    year: int, org_ids: set[int] | None = None, *, figures: bool = True
) -> dict[tuple[int, str], tuple]:
    """The year's snapshots by (org, scope) as rows with `id` and `digest`, and with `figures` also `counts`,
    `monthly` and `completion` (what an incremental run builds on). ~20,000 of them on a national tree, so no
    model instances; a recount compares digests and reads no JSON."""
    qs = ProgressSnapshot.objects.filter(year=year)
    if org_ids is not None:
        qs = qs.filter(org_id__in=org_ids)
    fields = ("counts", "monthly", "completion") if figures else ()
    rows = qs.values_list("id", "org_id", "scope", "digest", *fields, named=True)
    return {(s.org_id, s.scope): s for s in rows}


_STAMP_BATCH = 900  # ids per statement: within SQLite's limit on parameters


@dataclass
class _Changes:
    """What a write of snapshots changes: the rows to rewrite (their figures differ from the stored digest, or
    there is no stored row) and the ids of the stored rows that only get the new time. `partial`: not every
    snapshot of the year was recounted."""

    partial: bool
    changed: list[ProgressSnapshot] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)


def _snapshot_changes(
    *,
    year: int,
    orgs: dict[int, Org],
    own: dict[int, Tally],
    subtree: dict[int, Tally],
    as_of: dt.datetime,
    stored: dict[tuple[int, str], tuple],
    partial: bool,
    own_known: dict[int, Tally] | None = None,
) -> _Changes:
    """Own rows for `own` and subtree rows (with target completion) for `subtree`, stamped `as_of`, split by
    whether their digest matches the stored row's. `own_known` supplies own tallies of subtree orgs that are
    not rewritten (incremental runs)."""
    targets = _targets_by_org(year, set(subtree) if partial else None)
    own_known = own_known or own
    changes = _Changes(partial=partial)

    def keep(org_id: int, scope: str, tally: Tally, completed: dict) -> None:
        digest = snapshot_digest(tally.counts, tally.monthly, completed)
        old = stored.get((org_id, scope))
        if old is not None and old.digest == digest:
            changes.unchanged.append(old.id)
            return
        changes.changed.append(ProgressSnapshot(
            org_id=org_id, year=year, scope=scope, counts=tally.counts, monthly=tally.monthly,
            completion=completed, digest=digest, computed_at=as_of,
        ))

    for org_id, t in own.items():
        keep(org_id, ProgressSnapshot.Scope.OWN, t, {})
    for org_id, t in subtree.items():
        org_targets = targets.get(org_id)
        completed = (
            completion(orgs[org_id], org_targets, Figures.from_tally(own_known[org_id]), Figures.from_tally(t))
            if org_targets else {}
        )
        keep(org_id, ProgressSnapshot.Scope.SUBTREE, t, completed)
    return changes


def _snapshots_write(
    *,
    year: int,
    orgs: dict[int, Org],
    own: dict[int, Tally],
    subtree: dict[int, Tally],
    as_of: dt.datetime,
    own_known: dict[int, Tally] | None = None,
    stored: dict[tuple[int, str], tuple] | None = None,
) -> None:
    """Upsert own rows for `own` and subtree rows for `subtree` (`_snapshot_changes`), stamped `as_of` (the
    moment the counts refer to), and drop the public page's cached copy once they are committed. `stored`
    holds the current rows (their digests at least) when the caller has read them already."""
    partial = len(subtree) < len(orgs)
    if stored is None:
        stored = _stored_snapshots(year, set(own) | set(subtree) if partial else None, figures=False)
    changes = _snapshot_changes(year=year, orgs=orgs, own=own, subtree=subtree, as_of=as_of, stored=stored,
                                partial=partial, own_known=own_known)
    _snapshots_save(year=year, changes=changes, as_of=as_of)


def _snapshots_save(*, year: int, changes: _Changes, as_of: dt.datetime) -> None:
    """Rewrite the changed snapshots; the others (most of them in a nightly recount) only get the new time, in a
    few short statements: far less to send, parse and log (WAL, which a replica replays) than rewriting every
    row's JSON."""
    changed, unchanged, partial = changes.changed, changes.unchanged, changes.partial
    with transaction.atomic():
        ProgressSnapshot.objects.bulk_create(
            changed,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["org", "year", "scope"],
            update_fields=["counts", "monthly", "completion", "digest", "computed_at"],
        )
        if not partial:
            # Every snapshot of the year is current now: one statement stamps the ones not just rewritten.
            ProgressSnapshot.objects.filter(year=year).exclude(computed_at=as_of).update(computed_at=as_of)
        for i in range(0, len(unchanged) if partial else 0, _STAMP_BATCH):
            ProgressSnapshot.objects.filter(pk__in=unchanged[i:i + _STAMP_BATCH]).update(computed_at=as_of)
        # After a whole recount every snapshot carries `as_of`: the public pages' version needs no query.
        version = None if partial else as_of
        transaction.on_commit(lambda: progress_public_invalidate(year=year, version=version))


def _recompute_full(year: int, orgs: dict[int, Org], as_of: dt.datetime, *, verify: bool = False) -> list:
    """Recount every org of `year` and write the snapshots. With `verify`, returns the (org_id, scope,
    differences) of every stored snapshot the recount found different (`_mismatches`), read before it is
    overwritten; only the rows whose digest changed are read back."""
    own = own_tallies(year, orgs, as_of=as_of)
    subtree = roll_up(orgs, own)
    stored = _stored_snapshots(year, figures=False)
    changes = _snapshot_changes(year=year, orgs=orgs, own=own, subtree=subtree, as_of=as_of, stored=stored,
                                partial=False)
    mismatches = []
    if verify:
        counted = {
            (s.org_id, s.scope): (own if s.scope == ProgressSnapshot.Scope.OWN else subtree)[s.org_id]
            for s in changes.changed
        }
        org_ids = {org_id for org_id, _scope in counted}
        # Many changed rows (the first run after the digest existed): read the year rather than a long IN list.
        before = _stored_snapshots(year, org_ids if len(org_ids) <= _STAMP_BATCH else None) if counted else {}
        mismatches = _mismatches(counted, before)
    _snapshots_save(year=year, changes=changes, as_of=as_of)
    return mismatches


def _overdue(year: int, org_ids: set[int], as_of: dt.datetime) -> dict[int, int]:
    """`overdue` of these orgs now: the one figure a delta cannot carry (it changes as days pass)."""
    start, end = year_bounds(year)
    return dict(
        Application.objects.filter(
            org_id__in=org_ids, status=Application.Status.SUBMITTED, due_on__lt=timezone.localdate(as_of),
            created_at__gte=start, created_at__lt=end,
        )
        .values_list("org_id")
        .annotate(n=Count("id"))
        .order_by()
    )


Delta = tuple[int, str, int | None, int]  # org_id, key, month, n of one year


def _apply_changes(
    year: int, orgs: dict[int, Org], marked: set[int], deltas: list[Delta], as_of: dt.datetime
) -> None:
    """Bring the snapshots of `year` up to date: add each org's pending deltas to its own snapshot and to the
    subtree snapshots of it and its ancestors; recount the marked orgs whole. Builds on the stored snapshots,
    so it recounts everything when one it needs is missing or older than a figure."""
    touched = ({org_id for org_id, *_rest in deltas} | marked) & set(orgs)
    if not touched:
        return
    affected = set()
    for org_id in touched:
        while org_id is not None and org_id not in affected:
            affected.add(org_id)
            org_id = orgs[org_id].parent_id
    stored = _stored_snapshots(year, affected)
    if len(stored) < 2 * len(affected) or not all(map(snapshot_is_current, stored.values())):
        _recompute_full(year, orgs, as_of)  # never computed, a new org, or written before a figure existed
        return
    recounted = own_tallies(year, orgs, marked & touched, as_of) if marked & touched else {}
    overdue = _overdue(year, touched - set(recounted), as_of)
    own = {org_id: Tally.from_snapshot(stored[(org_id, "own")]) for org_id in affected}
    subtree = {org_id: Tally.from_snapshot(stored[(org_id, "subtree")]) for org_id in affected}
    change = {org_id: Tally.empty() for org_id in touched}
    _fold(change, orgs, (delta for delta in deltas if delta[0] in change and delta[0] not in recounted))
    for org_id in touched:
        if org_id in recounted:
            change[org_id] = recounted[org_id].copy()
            change[org_id].add(own[org_id], sign=-1)
        else:
            change[org_id].counts["overdue"] = overdue.get(org_id, 0) - own[org_id].counts["overdue"]
        own[org_id].add(change[org_id])
        ancestor = org_id
        while ancestor is not None:
            subtree[ancestor].add(change[org_id])
            ancestor = orgs[ancestor].parent_id
    _snapshots_write(
        year=year, orgs=orgs, own={i: own[i] for i in touched}, subtree=subtree, as_of=as_of, own_known=own,
        stored=stored,
    )


@contextmanager
def progress_consistent_snapshot() -> Iterator[None]:
    """One transaction that sees the database as of one moment (REPEATABLE READ on PostgreSQL): the deltas and
    marks read are exactly those whose changes the recounts in it see. Inside an outer transaction (tests) it
    joins that one. Nothing else may be written in it: it would not see rows committed since it began (the
    audit chain's head, marks re-set meanwhile). On PostgreSQL it also turns JIT back on, which connections run
    without (settings.POSTGRES_CONNECTION_OPTIONS): the recounts scan whole tables, where compiling pays."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SET LOCAL jit = on")
        yield


def _pending_deltas(years: Iterable[int] | None = None) -> tuple[list[int], dict[int, list[Delta]]]:
    rows = ProgressDelta.objects.all()
    if years is not None:
        rows = rows.filter(year__in=list(years))
    ids: list[int] = []
    by_year: dict[int, list[Delta]] = defaultdict(list)
    for pk, org_id, year, key, month, n in rows.values_list("id", "org_id", "year", "key", "month", "n").iterator():
        ids.append(pk)
        by_year[year].append((org_id, key, month, n))
    return ids, by_year


def _deltas_delete(ids: list[int]) -> None:
    for start in range(0, len(ids), 5000):
        ProgressDelta.objects.filter(id__in=ids[start:start + 5000]).delete()


# Figures a comparison with a recount leaves out: counted "now", they move with the clock, not with events.
AS_OF_KEYS = frozenset({"overdue"})


def _differences(stored: tuple | None, counted: Tally) -> dict[str, list]:
    if stored is None:
        return {"snapshot": [None, "missing"]}
    if stored.counts == counted.counts and stored.monthly == counted.monthly:
        return {}  # the usual case, without building a tally
    kept = Tally.from_snapshot(stored)
    differences = {
        key: [kept.counts[key], counted.counts[key]]
        for key in counted.counts if key not in AS_OF_KEYS and kept.counts[key] != counted.counts[key]
    }
    differences.update({
        f"{key}_monthly": [kept.monthly[key], counted.monthly[key]]
        for key in counted.monthly if kept.monthly[key] != counted.monthly[key]
    })
    return differences


# At most this many audit rows per year and run: a systematic fault is one story, the log lists every org.
REPAIR_AUDIT_LIMIT = 50


def _mismatches(counted: dict[tuple[int, str], Tally], stored: dict[tuple[int, str], tuple]) -> list:
    """(org_id, scope, differences) of every stored snapshot that differs from the full recount."""
    mismatches = []
    for (org_id, scope), tally in sorted(counted.items()):
        differences = _differences(stored.get((org_id, scope)), tally)
        if differences:
            mismatches.append((org_id, scope, differences))
    return mismatches


def _repairs_report(year: int, orgs: dict[int, Org], mismatches: list) -> None:
    """Log and audit the snapshots the full recount repaired (after its snapshot transaction: the audit chain
    must link to the newest committed row)."""
    logger.warning("progress %s: %d snapshots differed from a full recount and were repaired: %s",
                   year, len(mismatches), mismatches)
    with transaction.atomic():
        for org_id, scope, differences in mismatches[:REPAIR_AUDIT_LIMIT]:
            audit_record(actor=None, action="progress.repair", obj=orgs[org_id], org=orgs[org_id],
                         data={"year": year, "scope": scope, "differences": differences})


def progress_recompute_all(*, years: Iterable[int] | None = None, verify: bool = False) -> bool:
    """Recount every org for `years` (default: the current year and every year already snapshotted).

    With `verify` (the nightly run), pending deltas and marks are applied first and the result is compared with
    the recount: differences are logged and audited, then repaired by writing the recount. Returns False,
    changing nothing, when another recompute holds the lock.
    """
    with progress_lock() as acquired:
        if not acquired:
            return False
        repaired: dict[int, list] = {}
        with progress_consistent_snapshot():
            as_of = timezone.now()
            orgs = _org_index()
            years = sorted(set(years) if years else _years_to_maintain())
            ids, by_year = _pending_deltas(years)
            marked = set(ProgressDirtyMark.objects.values_list("org_id", flat=True)) if verify else set()
            for year in years:
                if verify:
                    _apply_changes(year, orgs, marked, by_year.get(year, []), as_of)
                repaired[year] = _recompute_full(year, orgs, as_of, verify=verify)
            _deltas_delete(ids)
        for year, mismatches in repaired.items():
            if mismatches:
                _repairs_report(year, orgs, mismatches)
        if verify:
            logger.info("progress verified for %s: %d snapshots repaired", years,
                        sum(map(len, repaired.values())))
        return True


def _recompute_changes(extra_marked: set[int] = frozenset(), years: list[int] | None = None) -> None:
    """Apply every pending delta and recount the marked orgs (and `extra_marked`), in one consistent snapshot;
    then drop the deltas and the marks it saw."""
    with progress_consistent_snapshot():
        # Marks are per org, not per year: only a run over every maintained year consumes them.
        marks = dict(ProgressDirtyMark.objects.values_list("org_id", "marked_at")) if years is None else {}
        ids, by_year = _pending_deltas(years)
        if not ids and not marks and not extra_marked:
            return
        as_of = timezone.now()
        orgs = _org_index()
        marked = set(marks) | set(extra_marked)
        # Deltas of a year without snapshots are dropped: its first full count counts their changes.
        for year in sorted(set(years) if years else _years_to_maintain()):
            _apply_changes(year, orgs, marked, by_year.get(year, []), as_of)
        _deltas_delete(ids)
    # Outside the snapshot: a mark re-set since it was read carries a later time and survives for the next run.
    for org_id, marked_at in marks.items():
        ProgressDirtyMark.objects.filter(org_id=org_id, marked_at__lte=marked_at).delete()


def progress_recompute_orgs(*, org_ids: Iterable[int], years: Iterable[int] | None = None) -> bool:
    """Recount `org_ids` whole (with every pending delta applied)."""
    with progress_lock() as acquired:
        if not acquired:
            return False
        _recompute_changes(set(org_ids), sorted(set(years)) if years else None)
        return True


def progress_recompute_dirty() -> bool:
    """Apply the deltas recorded since the last run and recount the marked orgs; each delta and mark counts once."""
    with progress_lock() as acquired:
        if not acquired:
            return False
        _recompute_changes()
        return True


def _years_to_maintain() -> set[int]:
    """The current year and every year with snapshots or targets (one query: membership changes ask it too)."""
    years = set(
        ProgressSnapshot.objects.order_by().values_list("year", flat=True).distinct()
        .union(Target.objects.order_by().values_list("year", flat=True).distinct())
    )
    years.add(timezone.localdate().year)
    return years
