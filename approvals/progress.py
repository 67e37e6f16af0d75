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
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.db import models, transaction
from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, IntegerField, Q, Sum, When
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from approvals.models import Application, Recommendation
from kexie.locks import advisory_lock
from members.models import Membership, UnitMember
from members.selectors.fees import fee_counts
from members.services.memberships import LIVE_STATUSES
from orgs.figures import Figures, Tally, completion, snapshot_is_current, year_bounds
from orgs.models import Org, ProgressDirtyMark, ProgressSnapshot, Target
from orgs.services.progress import progress_public_invalidate


# (org_id, key, month or None, n) rows; month None adds to the total only.
Row = tuple[int, str, int | None, int]


def _month_in(field: str, start, end) -> Case:
    """The month of `field` when it falls in [start, end), else NULL: one GROUP BY serves two date ranges."""
    return Case(
        When(**{f"{field}__gte": start, f"{field}__lt": end}, then=ExtractMonth(field)),
        default=None,
        output_field=IntegerField(),
    )


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=1), default=0, output_field=IntegerField())


def _org_filter(field: str, org_ids: set[int] | None) -> Q:
    return Q(**{f"{field}__in": org_ids}) if org_ids is not None else Q()


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
            handling=Sum(ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField())),
        )
        .order_by()
    )
    final = {Application.Status.APPROVED: "approved", Application.Status.REJECTED: "rejected",
             Application.Status.WITHDRAWN: "withdrawn"}
    decided = (Application.Status.APPROVED, Application.Status.REJECTED)
    for org_id, status, cm, dm, late, n, handling in rows:
        if cm is not None:
            yield org_id, "received", cm, n
            if status in Application.OPEN_STATUSES:
                yield org_id, "pending", cm, n
                if late:
                    yield org_id, "overdue", None, n
        if dm is not None and status in final:
            yield org_id, final[status], dm, n
            if status in decided and handling is not None:
                yield org_id, "handling_seconds", None, int(handling.total_seconds())


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
            am=Case(When(approved_in_year, then=ExtractMonth("application__decided_at")), default=None,
                    output_field=IntegerField()),
        )
        .values_list("from_org_id", "cm", "am")
        .annotate(n=Count("id"))
        .order_by()
    )
    for org_id, cm, am, n in rows:
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
    for org_id, origin, jm, is_live, before, n in rows:
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


def own_tallies(
    year: int, orgs: dict[int, Org], org_ids: set[int] | None = None, as_of: dt.datetime | None = None
) -> dict[int, Tally]:
    """Own counts of `org_ids` (every org when None): one aggregate query per source, whatever the tree size."""
    as_of = as_of or timezone.now()
    tallies: dict[int, Tally] = defaultdict(Tally.empty)
    for source in _SOURCES:
        for org_id, key, month, n in source(year, org_ids, as_of):
            tally = tallies[org_id]
            tally.counts[key] += n
            if month is not None and key in tally.monthly:
                tally.monthly[key][month - 1] += n
            if key == "new_members":
                level_key = f"new_members_{orgs[org_id].level}_level"
                tally.counts[level_key] += n
                tally.monthly[level_key][month - 1] += n
    wanted = org_ids if org_ids is not None else set(orgs)
    return {org_id: tallies[org_id] if org_id in tallies else Tally.empty() for org_id in wanted}


def roll_up(orgs: dict[int, Org], own: dict[int, Tally]) -> dict[int, Tally]:
    """Subtree tallies of every org: deepest first, each adds its subtree into its parent's."""
    subtree = {org_id: own[org_id].copy() for org_id in orgs}
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


# --- snapshots: the recount and its lock ------------------------------------------------------------------


# Arbitrary constant naming "the progress recompute" among PostgreSQL advisory locks.
PROGRESS_LOCK_KEY = 0x6B650050

PROGRESS_LOCK_CACHE_KEY = "progress:recompute-lock"

PROGRESS_SCHEDULED_CACHE_KEY = "progress:recompute-scheduled"

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


def _snapshots_write(
    *,
    year: int,
    orgs: dict[int, Org],
    own: dict[int, Tally],
    subtree: dict[int, Tally],
    as_of: dt.datetime,
    own_known: dict[int, Tally] | None = None,
) -> None:
    """Upsert own rows for `own` and subtree rows (with target completion) for `subtree`, stamped `as_of`
    (the moment the counts refer to), and drop the public page's cached copy once they are committed.

    `own_known` supplies own tallies of subtree orgs that are not rewritten (incremental runs).
    """
    targets = _targets_by_org(year, set(subtree) if len(subtree) < len(orgs) else None)
    own_known = own_known or own
    rows = [
        ProgressSnapshot(org_id=org_id, year=year, scope=ProgressSnapshot.Scope.OWN, counts=t.counts,
                         monthly=t.monthly, completion={}, computed_at=as_of)
        for org_id, t in own.items()
    ]
    for org_id, t in subtree.items():
        rows.append(
            ProgressSnapshot(
                org_id=org_id, year=year, scope=ProgressSnapshot.Scope.SUBTREE, counts=t.counts, monthly=t.monthly,
                completion=completion(
                    orgs[org_id], targets.get(org_id, {}), Figures.from_tally(own_known[org_id]), Figures.from_tally(t)
                ),
                computed_at=as_of,
            )
        )
    with transaction.atomic():
        ProgressSnapshot.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["org", "year", "scope"],
            update_fields=["counts", "monthly", "completion", "computed_at"],
        )
        transaction.on_commit(lambda: progress_public_invalidate(year=year))


def _recompute_full(year: int) -> None:
    as_of = timezone.now()
    orgs = _org_index()
    own = own_tallies(year, orgs, as_of=as_of)
    _snapshots_write(year=year, orgs=orgs, own=own, subtree=roll_up(orgs, own), as_of=as_of)


def _recompute_incremental(year: int, org_ids: set[int]) -> None:
    """Recount only `org_ids` (and their children) and re-roll their ancestors from the stored snapshots."""
    as_of = timezone.now()
    orgs = _org_index()
    children: dict[int, list[int]] = defaultdict(list)
    for org in orgs.values():
        if org.parent_id is not None:
            children[org.parent_id].append(org.pk)
    # A parent approving a recommendation changes the recommending child's "accepted" count.
    dirty = {i for i in org_ids if i in orgs}
    dirty |= {c for i in list(dirty) for c in children[i]}
    affected = set(dirty)
    for org_id in dirty:
        parent = orgs[org_id].parent_id
        while parent is not None and parent not in affected:
            affected.add(parent)
            parent = orgs[parent].parent_id
    own_needed = affected - dirty
    subtree_needed = {c for a in affected for c in children[a]} - affected
    stored = {
        (s.org_id, s.scope): s
        for s in ProgressSnapshot.objects.filter(year=year).filter(
            models.Q(scope="own", org_id__in=own_needed) | models.Q(scope="subtree", org_id__in=subtree_needed)
        )
    }
    if len(stored) < len(own_needed) + len(subtree_needed) or not all(map(snapshot_is_current, stored.values())):
        _recompute_full(year)  # never computed, a new org, or written before a figure existed: nothing to build on
        return
    own = own_tallies(year, orgs, dirty, as_of)
    own_all = dict(own)
    own_all.update({i: Tally.from_snapshot(stored[(i, "own")]) for i in own_needed})
    subtree: dict[int, Tally] = {}
    for org_id in sorted(affected, key=lambda i: -orgs[i].depth):
        tally = own_all[org_id].copy()
        for child in children[org_id]:
            tally.add(subtree[child] if child in affected else Tally.from_snapshot(stored[(child, "subtree")]))
        subtree[org_id] = tally
    _snapshots_write(year=year, orgs=orgs, own=own, subtree=subtree, as_of=as_of, own_known=own_all)


def progress_recompute_all(*, years: Iterable[int] | None = None) -> bool:
    """Recount every org for `years` (default: the current year and every year already snapshotted).

    Returns False, changing nothing, when another recompute holds the lock.
    """
    with progress_lock() as acquired:
        if not acquired:
            return False
        for year in sorted(set(years) if years else _years_to_maintain()):
            _recompute_full(year)
        return True


def progress_recompute_orgs(*, org_ids: Iterable[int], years: Iterable[int] | None = None) -> bool:
    with progress_lock() as acquired:
        if not acquired:
            return False
        for year in sorted(set(years) if years else _years_to_maintain()):
            _recompute_incremental(year, set(org_ids))
        return True


def progress_recompute_dirty() -> bool:
    """Recount the orgs marked since the last run, then clear exactly the marks it saw."""
    with progress_lock() as acquired:
        if not acquired:
            return False
        started = timezone.now()
        org_ids = set(ProgressDirtyMark.objects.filter(marked_at__lte=started).values_list("org_id", flat=True))
        if not org_ids:
            return True
        for year in sorted(_years_to_maintain()):
            _recompute_incremental(year, org_ids)
        # A mark re-set while this ran carries a later time and survives for the next run.
        ProgressDirtyMark.objects.filter(org_id__in=org_ids, marked_at__lte=started).delete()
        return True


def _years_to_maintain() -> set[int]:
    years = set(ProgressSnapshot.objects.values_list("year", flat=True).distinct())
    years |= set(Target.objects.values_list("year", flat=True).distinct())
    years.add(timezone.localdate().year)
    return years
