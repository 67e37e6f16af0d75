"""The progress computation: a few GROUP BY queries over a whole year, folded and rolled up the tree in Python.

Definitions (all for calendar year Y in the project's time zone, Asia/Shanghai):
- received: applications created in Y (self-applications and recommendations alike), by creation month;
- pending: of those, the ones still open (submitted or returned);
- approved / rejected / withdrawn: applications that reached that final state in Y, by decision month;
- recommendations_made: recommendations the org made (to its parent) in Y;
- recommendations_accepted: recommendations of the org whose application the parent approved in Y;
- new_members: individual memberships of the org that started in Y (whatever their status now), by month;
  also split by the org's level as new_members_<level>_level so a subtree knows each level's share;
- members_prev_year_end / members_year_end: live memberships (active or pending re-registration) that had
  started by the end of Y-1 / by the end of Y. Memberships carry no end date, so a member who left during Y
  is missing from both; growth therefore measures live members.

- new_unit_members: unit members (团体会员) of the org that joined in Y, by month.

Fee collection is not part of the snapshot yet (members.selectors.fees.fee_collection_rate answers it
per org); like any further count it is one more source in `_SOURCES` and one entry in `orgs.figures.COUNTS`, and the
snapshot tables need no migration.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.db import models, transaction
from django.db.models import Case, Count, IntegerField, Q, When
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from approvals.models import Application, Recommendation
from kexie.locks import advisory_lock
from members.models import Membership, UnitMember
from orgs.figures import Tally, completion, year_bounds
from orgs.models import Org, ProgressDirtyMark, ProgressSnapshot, Target


# (org_id, key, month or None, n) rows; month None adds to the total only.
Row = tuple[int, str, int | None, int]


def _month_in(field: str, start, end) -> Case:
    """The month of `field` when it falls in [start, end), else NULL: one GROUP BY serves two date ranges."""
    return Case(
        When(**{f"{field}__gte": start, f"{field}__lt": end}, then=ExtractMonth(field)),
        default=None,
        output_field=IntegerField(),
    )


def _org_filter(field: str, org_ids: set[int] | None) -> Q:
    return Q(**{f"{field}__in": org_ids}) if org_ids is not None else Q()


def _applications(year: int, org_ids: set[int] | None) -> Iterable[Row]:
    start, end = year_bounds(year)
    rows = (
        Application.objects.filter(
            _org_filter("org_id", org_ids),
            Q(created_at__gte=start, created_at__lt=end) | Q(decided_at__gte=start, decided_at__lt=end),
        )
        .annotate(cm=_month_in("created_at", start, end), dm=_month_in("decided_at", start, end))
        .values_list("org_id", "status", "cm", "dm")
        .annotate(n=Count("id"))
        .order_by()
    )
    final = {Application.Status.APPROVED: "approved", Application.Status.REJECTED: "rejected",
             Application.Status.WITHDRAWN: "withdrawn"}
    for org_id, status, cm, dm, n in rows:
        if cm is not None:
            yield org_id, "received", cm, n
            if status in Application.OPEN_STATUSES:
                yield org_id, "pending", cm, n
        if dm is not None and status in final:
            yield org_id, final[status], dm, n


def _recommendations(year: int, org_ids: set[int] | None) -> Iterable[Row]:
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


def _memberships(year: int, org_ids: set[int] | None) -> Iterable[Row]:
    live = [Membership.Status.ACTIVE, Membership.Status.PENDING_REREGISTRATION, Membership.Status.PENDING_RENEWAL]
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    rows = (
        Membership.objects.filter(_org_filter("org_id", org_ids), Q(joined_on__lt=end))
        .filter(Q(joined_on__gte=start) | Q(status__in=live))
        .annotate(
            jm=_month_in("joined_on", start, end),
            is_live=Case(When(status__in=live, then=1), default=0, output_field=IntegerField()),
            before=Case(When(joined_on__lt=start, then=1), default=0, output_field=IntegerField()),
        )
        .values_list("org_id", "jm", "is_live", "before")
        .annotate(n=Count("id"))
        .order_by()
    )
    for org_id, jm, is_live, before, n in rows:
        if jm is not None:
            yield org_id, "new_members", jm, n
        if is_live:
            yield org_id, "members_year_end", None, n
            if before:
                yield org_id, "members_prev_year_end", None, n


def _unit_members(year: int, org_ids: set[int] | None) -> Iterable[Row]:
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    rows = (
        UnitMember.objects.filter(_org_filter("org_id", org_ids), joined_on__gte=start, joined_on__lt=end)
        .annotate(jm=ExtractMonth("joined_on"))
        .values_list("org_id", "jm")
        .annotate(n=Count("id"))
        .order_by()
    )
    for org_id, jm, n in rows:
        yield org_id, "new_unit_members", jm, n


_SOURCES: tuple[Callable[[int, set[int] | None], Iterable[Row]], ...] = (
    _applications,
    _recommendations,
    _memberships,
    _unit_members,
)


def own_tallies(year: int, orgs: dict[int, Org], org_ids: set[int] | None = None) -> dict[int, Tally]:
    """Own counts of `org_ids` (every org when None): one aggregate query per source, whatever the tree size."""
    tallies: dict[int, Tally] = defaultdict(Tally.empty)
    for source in _SOURCES:
        for org_id, key, month, n in source(year, org_ids):
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


# --- snapshots: the recount and its lock ------------------------------------------------------------------


# Arbitrary constant naming "the progress recompute" among PostgreSQL advisory locks.
PROGRESS_LOCK_KEY = 0x6B650050

PROGRESS_LOCK_CACHE_KEY = "progress:recompute-lock"

PROGRESS_SCHEDULED_CACHE_KEY = "progress:recompute-scheduled"


# A burst of decisions within this window is recounted by one job.
PROGRESS_DEBOUNCE_SECONDS = 30

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
    own_known: dict[int, Tally] | None = None,
) -> None:
    """Upsert own rows for `own` and subtree rows (with target completion) for `subtree`.

    `own_known` supplies own tallies of subtree orgs that are not rewritten (incremental runs).
    """
    now = timezone.now()
    targets = _targets_by_org(year, set(subtree) if len(subtree) < len(orgs) else None)
    own_known = own_known or own
    rows = [
        ProgressSnapshot(org_id=org_id, year=year, scope=ProgressSnapshot.Scope.OWN, counts=t.counts,
                         monthly=t.monthly, completion={}, computed_at=now)
        for org_id, t in own.items()
    ]
    for org_id, t in subtree.items():
        rows.append(
            ProgressSnapshot(
                org_id=org_id, year=year, scope=ProgressSnapshot.Scope.SUBTREE, counts=t.counts, monthly=t.monthly,
                completion=completion(orgs[org_id], targets.get(org_id, {}), own_known[org_id], t),
                computed_at=now,
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


def _recompute_full(year: int) -> None:
    orgs = _org_index()
    own = own_tallies(year, orgs)
    _snapshots_write(year=year, orgs=orgs, own=own, subtree=roll_up(orgs, own))


def _recompute_incremental(year: int, org_ids: set[int]) -> None:
    """Recount only `org_ids` (and their children) and re-roll their ancestors from the stored snapshots."""
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
    if len(stored) < len(own_needed) + len(subtree_needed):
        _recompute_full(year)  # never computed (or a new org): nothing to build on
        return
    own = own_tallies(year, orgs, dirty)
    own_all = dict(own)
    own_all.update({i: Tally.from_snapshot(stored[(i, "own")]) for i in own_needed})
    subtree: dict[int, Tally] = {}
    for org_id in sorted(affected, key=lambda i: -orgs[i].depth):
        tally = own_all[org_id].copy()
        for child in children[org_id]:
            tally.add(subtree[child] if child in affected else Tally.from_snapshot(stored[(child, "subtree")]))
        subtree[org_id] = tally
    _snapshots_write(year=year, orgs=orgs, own=own, subtree=subtree, own_known=own_all)


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
