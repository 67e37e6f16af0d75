"""Counting progress: a few GROUP BY queries over a whole year, folded and rolled up the tree in Python.

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

Fee collection is not part of the snapshot yet (members.lifecycle_selectors.fee_collection_rate answers it
per org); like any further count it is one more source in `_SOURCES` and one entry in `COUNTS`, and the
snapshot tables need no migration.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, When
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from orgs.models import Org, Target


@dataclass(frozen=True)
class CountDef:
    key: str
    label: str
    monthly: bool = True


COUNTS: tuple[CountDef, ...] = (
    CountDef("received", "收到申请"),
    CountDef("approved", "批准"),
    CountDef("rejected", "不予通过"),
    CountDef("withdrawn", "撤回"),
    CountDef("pending", "待处理"),
    CountDef("recommendations_made", "向上级推荐"),
    CountDef("recommendations_accepted", "推荐获批"),
    CountDef("new_members", "新增个人会员"),
    CountDef("new_members_province_level", "省级新增会员"),
    CountDef("new_members_city_level", "市级新增会员"),
    CountDef("new_members_county_level", "县级新增会员"),
    CountDef("new_unit_members", "新增团体会员"),
    CountDef("members_prev_year_end", "上年末会员数", monthly=False),
    CountDef("members_year_end", "本年末会员数", monthly=False),
)
COUNT_KEYS = tuple(c.key for c in COUNTS)
MONTHLY_KEYS = tuple(c.key for c in COUNTS if c.monthly)

# (org_id, key, month or None, n) rows; month None adds to the total only.
Row = tuple[int, str, int | None, int]


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


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
    from approvals.models import Application

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
    from approvals.models import Application, Recommendation

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
    from members.models import Membership

    live = [Membership.Status.ACTIVE, Membership.Status.PENDING_REREGISTRATION]
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
    from members.models import UnitMember

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


@dataclass
class Tally:
    counts: dict[str, int]
    monthly: dict[str, list[int]]

    @classmethod
    def empty(cls) -> Tally:
        return cls(counts=dict.fromkeys(COUNT_KEYS, 0), monthly={k: [0] * 12 for k in MONTHLY_KEYS})

    @classmethod
    def from_snapshot(cls, snapshot) -> Tally:
        tally = cls.empty()
        tally.add(cls(counts=snapshot.counts, monthly=snapshot.monthly))
        return tally

    def add(self, other: Tally) -> None:
        for key in COUNT_KEYS:
            self.counts[key] += other.counts.get(key, 0)
        for key in MONTHLY_KEYS:
            months = other.monthly.get(key) or [0] * 12
            self.monthly[key] = [a + b for a, b in zip(self.monthly[key], months)]

    def copy(self) -> Tally:
        return Tally(counts=dict(self.counts), monthly={k: list(v) for k, v in self.monthly.items()})


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


def target_actual(metric: str, org: Org, own: Tally, subtree: Tally) -> float | None:
    """The number a target is measured against (see Target.Metric); None when nothing records it yet."""
    if metric == Target.Metric.NEW_MEMBERS:
        return subtree.counts[f"new_members_{org.level}_level"]
    if metric == Target.Metric.RECOMMENDATIONS:
        return own.counts["recommendations_made"]
    if metric == Target.Metric.MEMBER_GROWTH_PCT:
        before, now = own.counts["members_prev_year_end"], own.counts["members_year_end"]
        return round((now - before) * 100 / before, 1) if before else None
    if metric == Target.Metric.UNIT_MEMBERS:
        return subtree.counts["new_unit_members"]
    if metric in Target.LEVEL_TOTALS:
        return subtree.counts[metric]
    return None


def completion(org: Org, targets: dict[str, int], own: Tally, subtree: Tally) -> dict[str, dict]:
    result = {}
    for metric, value in sorted(targets.items()):
        actual = target_actual(metric, org, own, subtree)
        ratio = round(actual / value, 4) if (actual is not None and value) else None
        result[metric] = {"target": value, "actual": actual, "ratio": ratio}
    return result


def expected_share(year: int, today: dt.date | None = None) -> float:
    """How much of a yearly target should be done by today: all of a past year, none of a future one."""
    today = today or timezone.localdate()
    if year < today.year:
        return 1.0
    if year > today.year:
        return 0.0
    days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    return (today - dt.date(year, 1, 1)).days / days


def lag_badge(ratio: float | None, year: int, today: dt.date | None = None) -> str:
    """ok: on pace; warn: within 80% of the pace; bad: further behind. Empty when there is no target."""
    if ratio is None:
        return ""
    expected = expected_share(year, today)
    if ratio >= expected:
        return "ok"
    if ratio >= 0.8 * expected:
        return "warn"
    return "bad"
