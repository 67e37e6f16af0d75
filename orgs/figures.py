"""What the progress snapshots hold and how the dashboards read them: count keys and labels, the tally
of one organisation, target completion and the lag badges. Pure definitions; the counting that fills them
is approvals/progress.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


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
