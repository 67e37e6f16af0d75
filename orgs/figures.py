"""Every counted figure of kexie, defined once: key, Chinese label, a one-line definition and the rule it measures.

The progress snapshots store the countable figures (`stored`); the rest are derived from them here (`DERIVED`),
so the dashboard, the public page, the annual report, the exports and the API all read a `Figures` object and
never count or divide on their own. The counting itself (one aggregate query per source) is
approvals/progress.py: a new figure is one entry in FIGURES and one source there. The definitions page
(/progress/definitions/) is rendered from FIGURES and TARGET_DEFINITIONS, and every figure on every page links
to its entry.

All figures are per calendar year in the project's time zone (Asia/Shanghai), for one organisation (own) or an
organisation with everything below it (subtree).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.models import Org, Target

# The rules the figures measure, as the source documents name them.
RULE_DEVELOPMENT = _("冀科协〔2017〕90号 二、目标任务：按年度发展会员（省 3340、市级 6670、县级 1 万人；每个设区市不少于 610、每个县不少于 80 人）")
RULE_REVIEW = _("冀科协〔2017〕90号 四、申报确认：各级科协分别进行审核批准")
RULE_RECOMMEND = _("冀科协〔2017〕90号 二、目标任务与四、申报确认：学会和下级科协向上级推荐个人会员（省级学会每年不少于 20 人，设区市科协不少于 50 人）")
RULE_CENSUS = _("晋青科教发〔2014〕01号：对现有在册会员进行普查、清理和重新登记")
RULE_GROWTH = _("中国科协2017年学会改革工作要点 2：个人会员总数在上年末基础上增加 15% 以上")
RULE_FEES = _("中国科协2017年学会改革工作要点 2：提高个人会员的会费收缴比例")
RULE_UNITS = _("豫科协学会治理与服务改革创新工程 5：设立单位会员和个人会员；晋青科教发〔2014〕01号：每市每年发展 3–5 个团体会员")
RULE_PUBLISH = _("冀科协〔2017〕90号 附件通知四：动态公布网上申报情况")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    definition: str
    rule: str
    group: str
    unit: str = "人"
    # Twelve monthly numbers are kept beside the yearly one.
    monthly: bool = False
    # Derived figures are computed from stored ones (DERIVED); stored ones are counted and summed up the tree.
    derived: bool = False
    # Internal sums (the handling time total) are stored for the averages but never shown on their own.
    shown: bool = True

    @property
    def anchor(self) -> str:
        return f"fig-{self.key}"


GROUPS: tuple[tuple[str, str], ...] = (
    ("applications", _("申请与审核")),
    ("members", _("个人会员发展")),
    ("recommendations", _("推荐")),
    ("units", _("团体会员")),
    ("fees", _("会费收缴")),
)


FIGURES: tuple[Figure, ...] = (
    # --- applications and their handling ------------------------------------------------------------------
    Figure("received", _("收到申请"), _("本年度提交到本组织的入会申请件数，含下级组织推荐来的申请，按提交月份计。"),
           RULE_REVIEW, "applications", unit="件", monthly=True),
    Figure("approved", _("批准"), _("本年度作出批准决定的申请件数，按决定月份计。"), RULE_REVIEW, "applications",
           unit="件", monthly=True),
    Figure("rejected", _("不予通过"), _("本年度作出不予通过决定的申请件数，按决定月份计。"), RULE_REVIEW, "applications",
           unit="件", monthly=True),
    Figure("withdrawn", _("撤回"), _("本年度由申请人撤回的申请件数，按撤回月份计。"), RULE_REVIEW, "applications",
           unit="件", monthly=True),
    Figure("decided", _("已办结"), _("批准与不予通过之和；撤回不算办结。"), RULE_REVIEW, "applications", unit="件",
           derived=True),
    Figure("pending", _("待处理"), _("本年度收到、目前仍待审核或退回修改中的申请件数，按提交月份计。"), RULE_REVIEW,
           "applications", unit="件", monthly=True),
    Figure("overdue", _("超期未办"),
           _("本年度收到、目前待审核且已过预计办结日期的申请件数；办结日期按本组织的办理时限（工作日，法定节假日和调休按国家安排）"
             "从首次提交起算，退回修改期间暂停计时。"), RULE_REVIEW, "applications", unit="件"),
    Figure("handling_seconds", _("办理用时合计"), _("本年度已办结申请的办理用时之和（秒），用于计算平均办理天数。"), RULE_REVIEW,
           "applications", unit="秒", shown=False),
    Figure("avg_handling_days", _("平均办理天数"),
           _("本年度已办结申请的平均办理时间：决定时间减最近一次提交时间，按自然日计，保留一位小数。"), RULE_REVIEW,
           "applications", unit="天", derived=True),
    # --- individual members -------------------------------------------------------------------------------
    Figure("new_members", _("新增个人会员"),
           _("本年度经申请（含下级推荐）批准入会的个人会员人数，按入会月份计；存量会员登记和转入会员不计入，不论现在是否仍有效。"),
           RULE_DEVELOPMENT, "members", monthly=True),
    Figure("new_members_national_level", _("全国级新增会员"), _("新增个人会员中由全国性组织（中国科协等）批准的人数。"),
           RULE_DEVELOPMENT, "members", monthly=True),
    Figure("new_members_province_level", _("省级新增会员"), _("新增个人会员中由省级组织（省科协、省级学会等）批准的人数。"),
           RULE_DEVELOPMENT, "members", monthly=True),
    Figure("new_members_city_level", _("市级新增会员"), _("新增个人会员中由市级组织（市科协、市级学会等）批准的人数。"),
           RULE_DEVELOPMENT, "members", monthly=True),
    Figure("new_members_county_level", _("县级新增会员"), _("新增个人会员中由县级组织（县、区科协，园区科协等）批准的人数。"),
           RULE_DEVELOPMENT, "members", monthly=True),
    Figure("existing_registered", _("存量会员登记"),
           _("本年度通过普查导入的原有在册会员人数（含尚待本人重新登记的），按导入月份计；他们不是本年发展的新会员，不计入发展目标。"),
           RULE_CENSUS, "members", monthly=True),
    Figure("transferred_in", _("转入会员"), _("本年度从其他组织转入的会员人数；转会不是发展新会员，不计入发展目标。"),
           RULE_DEVELOPMENT, "members", monthly=True),
    Figure("members_prev_year_end", _("上年末会员数"),
           _("上年末以前入会、目前仍有效、待重新登记或待续期的个人会员人数；会员资格不记终止日期，已退会、失效或转出的不计。"),
           RULE_GROWTH, "members"),
    Figure("members_year_end", _("本年末会员数"),
           _("本年末以前入会、目前仍有效、待重新登记或待续期的个人会员人数（当年即截至统计时）；口径同上年末会员数。"),
           RULE_GROWTH, "members"),
    Figure("member_growth_pct", _("会员增长率"),
           _("（本年末会员数 − 上年末会员数）÷ 上年末会员数 × 100%，保留一位小数；上年末没有会员时不计算。"),
           RULE_GROWTH, "members", unit="%", derived=True),
    # --- recommendations ----------------------------------------------------------------------------------
    Figure("recommendations_made", _("向上级推荐"), _("本年度本组织向上级组织推荐的人数，按推荐月份计。"), RULE_RECOMMEND,
           "recommendations", monthly=True),
    Figure("recommendations_accepted", _("推荐获批"), _("本组织的推荐中由上级组织在本年度批准的人数，按批准月份计。"),
           RULE_RECOMMEND, "recommendations", monthly=True),
    # --- unit members -------------------------------------------------------------------------------------
    Figure("new_unit_members", _("新增团体会员"), _("本年度入会的团体会员（单位会员）数，按入会月份计，不论现在是否仍有效。"),
           RULE_UNITS, "units", unit="个", monthly=True),
    Figure("unit_members_year_end", _("团体会员总数"), _("本年末以前入会、目前仍有效的团体会员数。"), RULE_UNITS, "units",
           unit="个"),
    # --- fees ---------------------------------------------------------------------------------------------
    Figure("fee_due", _("应缴会费人数"),
           _("本年末以前入会、目前有效或待续期，且所在组织本年度对其会员类别收取非零会费的个人会员人数。"), RULE_FEES, "fees"),
    Figure("fee_paid", _("已缴会费"), _("应缴会费的会员中已登记本年度缴费的人数。"), RULE_FEES, "fees"),
    Figure("fee_exempt", _("免缴会费"), _("应缴会费的会员中经管理员登记本年度免缴的人数。"), RULE_FEES, "fees"),
    Figure("fee_collection_rate", _("会费收缴率"),
           _("（已缴会费 + 免缴会费）÷ 应缴会费人数 × 100%，保留一位小数；无人应缴（未定会费或暂时不收取会费）时不计算。"),
           RULE_FEES, "fees", unit="%", derived=True),
)

BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}

COUNT_KEYS: tuple[str, ...] = tuple(f.key for f in FIGURES if not f.derived)

MONTHLY_KEYS: tuple[str, ...] = tuple(f.key for f in FIGURES if f.monthly)
_COUNT_KEY_SET, _MONTHLY_KEY_SET = frozenset(COUNT_KEYS), frozenset(MONTHLY_KEYS)

LEVEL_KEYS: dict[str, str] = {level: f"new_members_{level}_level" for level in Org.Level.values}


def _ratio_pct(numerator: int, denominator: int) -> float | None:
    return round(numerator * 100 / denominator, 1) if denominator else None


DERIVED: dict[str, Callable[[dict[str, int]], float | int | None]] = {
    "decided": lambda c: c["approved"] + c["rejected"],
    "avg_handling_days": lambda c: (
        round(c["handling_seconds"] / (c["approved"] + c["rejected"]) / 86400, 1) if c["approved"] + c["rejected"] else None
    ),
    "member_growth_pct": lambda c: _ratio_pct(c["members_year_end"] - c["members_prev_year_end"], c["members_prev_year_end"]),
    "fee_collection_rate": lambda c: _ratio_pct(c["fee_paid"] + c["fee_exempt"], c["fee_due"]),
}

assert set(DERIVED) == {f.key for f in FIGURES if f.derived}, "every derived figure has one formula"


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


@dataclass
class Tally:
    """Stored counts of one org (or subtree) and year while they are being counted and summed up the tree."""

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

    def add(self, other: Tally, sign: int = 1) -> None:
        """Add `other` (or, with sign=-1, take it away: the change between two tallies of one org)."""
        if sign not in (1, -1):
            raise ValueError(sign)
        op = operator.add if sign == 1 else operator.sub  # map() with an operator: a roll-up does ~10,000 of these
        counts, other_counts, monthly, other_monthly = self.counts, other.counts, self.monthly, other.monthly
        for key in COUNT_KEYS:
            counts[key] = op(counts[key], other_counts.get(key, 0))
        for key in MONTHLY_KEYS:
            months = other_monthly.get(key)
            if months:
                monthly[key] = list(map(op, monthly[key], months))

    def copy(self) -> Tally:
        return Tally(counts=dict(self.counts), monthly={k: list(v) for k, v in self.monthly.items()})


def snapshot_digest(counts: dict, monthly: dict, completion: dict) -> str:
    """A snapshot's fingerprint: equal figures give equal digests whatever the order of their keys, so a
    recount tells an unchanged snapshot from its stored digest alone (32 hex digits)."""
    # orjson writes the same compact, key-sorted JSON as json.dumps(sort_keys=True, separators=(",", ":")) for
    # these ASCII keys and numbers, about five times faster: a national recount digests ~19,000 snapshots.
    text = orjson.dumps([counts, monthly, completion], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def snapshot_is_current(snapshot) -> bool:
    """A snapshot written before a figure was added lacks its key and cannot be built on."""
    return set(COUNT_KEYS) <= set(snapshot.counts)


class Figures:
    """The figures of one organisation (or its subtree) and year, stored and derived, read-only.

    Built from a progress snapshot (dashboards, public page, exports) or from a live count (the annual report);
    `figures["received"]` or `{{ figures.received }}` gives a value, `None` for a ratio that cannot be computed.
    """

    def __init__(self, counts: dict[str, int] | None = None, monthly: dict[str, list[int]] | None = None,
                 computed_at: dt.datetime | None = None):
        tally = Tally.empty()
        tally.add(Tally(counts=counts or {}, monthly=monthly or {}))
        self._counts = tally.counts
        self._monthly = tally.monthly
        self.computed_at = computed_at

    @classmethod
    def from_snapshot(cls, snapshot) -> Figures:
        if snapshot is None:
            return cls()
        return cls(snapshot.counts, snapshot.monthly, snapshot.computed_at)

    @classmethod
    def from_tally(cls, tally: Tally, computed_at: dt.datetime | None = None) -> Figures:
        if not _COUNT_KEY_SET <= tally.counts.keys() or not _MONTHLY_KEY_SET <= tally.monthly.keys():
            return cls(tally.counts, tally.monthly, computed_at)
        # A tally has every key already: its values are taken as they are, without building a new tally (a
        # national recount makes two of these for each of ~10,000 organisations). Copied, so that a tally
        # still being summed cannot change figures already made from it.
        figures = cls.__new__(cls)
        figures._counts = dict(tally.counts)
        figures._monthly = {key: list(months) for key, months in tally.monthly.items()}
        figures.computed_at = computed_at
        return figures

    def __getitem__(self, key: str):
        if key in DERIVED:
            return DERIVED[key](self._counts)
        if key in self._counts:
            return self._counts[key]
        raise KeyError(key)

    def get(self, key: str, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def new_members_at(self, level: str) -> int:
        """New members admitted at one level: what the target of an org of that level is measured against."""
        # Snapshots computed before the national level existed lack its key: nobody was admitted there then.
        return self._counts.get(LEVEL_KEYS[level], 0)

    def monthly(self, key: str) -> list[int]:
        return list(self._monthly[key])

    def as_dict(self, keys: Iterable[str] | None = None) -> dict[str, float | int | None]:
        """Every shown figure (or `keys`) by key: the machine-readable form for exports and the API."""
        keys = keys if keys is not None else [f.key for f in FIGURES if f.shown]
        return {key: self[key] for key in keys}

    def groups(self) -> list[tuple[str, list[tuple[Figure, float | int | None]]]]:
        """(group label, [(figure, value), ...]) in definition order, for pages that show every figure."""
        return [
            (str(label), [(f, self[f.key]) for f in FIGURES if f.group == group and f.shown])
            for group, label in GROUPS
        ]


# --- targets: what each target is measured against, and how far along it is ----------------------------


@dataclass(frozen=True)
class TargetDefinition:
    metric: str
    label: str
    definition: str
    rule: str

    @property
    def anchor(self) -> str:
        return f"target-{self.metric}"


TARGET_DEFINITIONS: dict[str, TargetDefinition] = {
    d.metric: d
    for d in (
        TargetDefinition(Target.Metric.NEW_MEMBERS, _("本级新增会员目标"),
                         _("本组织辖区内与本组织同级的组织批准的新增个人会员（如市科协：全市市级组织批准的新增会员）；存量会员登记和转入不计。"),
                         RULE_DEVELOPMENT),
        TargetDefinition(Target.Metric.RECOMMENDATIONS, _("向上级推荐目标"),
                         _("本组织本年度向上级组织推荐的人数（市科协、省级学会即向省科协推荐）。"), RULE_RECOMMEND),
        TargetDefinition(Target.Metric.UNIT_MEMBERS, _("新增团体会员目标"),
                         _("本组织及下级组织本年度新增的团体会员数。"), RULE_UNITS),
        TargetDefinition(Target.Metric.MEMBER_GROWTH_PCT, _("会员增长率目标（%）"),
                         _("本组织自身个人会员的增长率（见“会员增长率”）；目标值为百分数。"), RULE_GROWTH),
        TargetDefinition(Target.Metric.NEW_MEMBERS_PROVINCE_LEVEL, _("省级新增会员总数目标"),
                         _("全省省级组织批准的新增个人会员，目标设在省科协。"), RULE_DEVELOPMENT),
        TargetDefinition(Target.Metric.NEW_MEMBERS_CITY_LEVEL, _("市级新增会员总数目标"),
                         _("全省市级组织批准的新增个人会员，目标设在省科协。"), RULE_DEVELOPMENT),
        TargetDefinition(Target.Metric.NEW_MEMBERS_COUNTY_LEVEL, _("县级新增会员总数目标"),
                         _("全省县级组织批准的新增个人会员，目标设在省科协。"), RULE_DEVELOPMENT),
    )
}

assert set(TARGET_DEFINITIONS) == set(Target.Metric.values), "every target metric says what it is measured against"


def target_actual(metric: str, org: Org, own: Figures, subtree: Figures) -> float | None:
    """The number a target is measured against (see TARGET_DEFINITIONS); None when it cannot be computed."""
    if metric == Target.Metric.NEW_MEMBERS:
        return subtree.new_members_at(org.level)
    if metric == Target.Metric.RECOMMENDATIONS:
        return own["recommendations_made"]
    if metric == Target.Metric.MEMBER_GROWTH_PCT:
        return own["member_growth_pct"]
    if metric == Target.Metric.UNIT_MEMBERS:
        return subtree["new_unit_members"]
    if metric in Target.LEVEL_TOTALS:
        return subtree[metric]
    return None


def completion(org: Org, targets: dict[str, int], own: Figures, subtree: Figures) -> dict[str, dict]:
    result = {}
    for metric, value in sorted(targets.items()):
        actual = target_actual(metric, org, own, subtree)
        ratio = round(actual / value, 4) if (actual is not None and value) else None
        result[metric] = {"target": value, "actual": actual, "ratio": ratio}
    return result


def overall_completion(ratios: Iterable[float | None]) -> float | None:
    """综合完成率: the mean of the completion ratios of the targets set, each counted up to 100% so that
    overshooting one target does not hide another one lagging. None without any target."""
    capped = [min(r, 1.0) for r in ratios if r is not None]
    return round(sum(capped) / len(capped), 4) if capped else None


def competition_ranks(scores: list[float | None]) -> list[int | None]:
    """Rank 1 is the best score; equal scores share a rank and the next rank skips (1, 2, 2, 4).
    No score, no rank."""
    ordered = sorted((s for s in scores if s is not None), reverse=True)
    first = {}
    for position, score in enumerate(ordered, start=1):
        first.setdefault(score, position)
    return [first[s] if s is not None else None for s in scores]


def expected_share(year: int, today: dt.date | None = None) -> float:
    """How much of a yearly target should be done by today: all of a past year, none of a future one."""
    today = today or timezone.localdate()
    if year < today.year:
        return 1.0
    if year > today.year:
        return 0.0
    days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    return (today - dt.date(year, 1, 1)).days / days


def elapsed_months(year: int, today: dt.date | None = None) -> int:
    """Months of `year` reached by today: 12 for a past year, 0 for a future one."""
    today = today or timezone.localdate()
    if year < today.year:
        return 12
    if year > today.year:
        return 0
    return today.month


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


@dataclass(frozen=True)
class PageNote:
    """A definition that is not a counted figure (ranking, badges, refresh), listed on the definitions page."""

    key: str
    label: str
    definition: str
    rule: str = ""

    @property
    def anchor(self) -> str:
        return f"note-{self.key}"


NOTES: tuple[PageNote, ...] = (
    PageNote("completion", _("目标完成率"), _("实际值 ÷ 年度目标值；未设目标或目标为 0 时不计算，显示“未设目标”。")),
    PageNote("overall", _("综合完成率"), _("本组织已设各项目标完成率的平均值，每项最多按 100% 计，超额完成一项不抵补另一项的落后。")),
    PageNote("rank", _("排名"), _("按综合完成率从高到低排名，第 1 名完成最好；完成率相同的组织名次相同，下一名次顺延（1、2、2、4）。未设目标的组织不排名。")),
    PageNote("badge", _("进度状态"), _("完成率与全年时间进度相比：不低于时间进度为“正常”，不低于时间进度的 80% 为“稍慢”，其余为“落后”。")),
    PageNote("refresh", _("数据更新"), _("审核决定、会员与团体会员变动、目标修改后自动重算进度；页面显示所示数据中最新的计算时间。"), RULE_PUBLISH),
)


@dataclass
class FigureSection:
    """One group of figures on the definitions page."""

    label: str
    figures: list[Figure] = field(default_factory=list)


def definition_sections() -> list[FigureSection]:
    return [
        FigureSection(str(label), [f for f in FIGURES if f.group == group and f.shown]) for group, label in GROUPS
    ]
