"""Progress dashboards, the public page and targets, read from the stored snapshots through orgs.figures (no
personal data)."""

import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router
from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kexie import scheduler
from orgs import permissions
from orgs.figures import Figures, competition_ranks, elapsed_months, lag_badge, overall_completion
from orgs.models import Org, ProgressDelta, ProgressDirtyMark, ProgressSnapshot, Target
from orgs.selectors.scope import org_visible_or_404, orgs_below_managed, orgs_visible_to, scope_identity

# A safety net only: new snapshots drop the cached copy at once (orgs.services.progress.progress_public_invalidate).
PUBLIC_CACHE_SECONDS = 300

# The orders a person can choose for the children table; ranks stay the same in every order.
ORDERS = {
    "lagging": gettext_lazy("落后优先"),
    "leading": gettext_lazy("领先优先"),
    "tree": gettext_lazy("按组织顺序"),
}
DEFAULT_ORDER = "lagging"


@dataclass
class MetricCell:
    target: int | None
    actual: float | None
    ratio: float | None
    badge: str

    @property
    def gap(self) -> float | None:
        if self.target is None or self.actual is None or self.actual >= self.target:
            return None
        return round(self.target - self.actual, 1)

    @property
    def percent(self) -> float | None:
        return round(self.ratio * 100, 1) if self.ratio is not None else None


@dataclass
class ProgressRow:
    org: Org
    figures: Figures
    cells: dict[str, MetricCell]
    badge: str = ""
    # The worst completion ratio decides the badge; the overall completion (orgs.figures.overall_completion)
    # orders and ranks the rows.
    worst: float | None = None
    score: float | None = None
    rank: int | None = None

    @property
    def own_level_new_members(self) -> int:
        """New members admitted at this org's own level: what its new-member target is measured against."""
        return self.figures.new_members_at(self.org.level)

    @property
    def score_percent(self) -> float | None:
        return round(self.score * 100, 1) if self.score is not None else None


@dataclass
class Dashboard:
    root: Org
    year: int
    kind: str
    order: str
    trail: list[Org]
    summary: ProgressRow
    rows: list[ProgressRow]
    months: list[int]
    monthly: dict[str, list[int]]
    # (figure key, value, percent of received)
    funnel: list[tuple[str, int, float | None]]
    # The newest snapshot shown: every row includes every change counted up to then.
    computed_at: object
    # Changes marked for a recount that has not finished yet.
    recount_pending: bool
    has_targets: bool
    level_totals: list[tuple[str, MetricCell]] = field(default_factory=list)


def _progress_row(org: Org, snapshot, year: int) -> ProgressRow:
    figures = Figures.from_snapshot(snapshot)
    completion = snapshot.completion if snapshot else {}
    cells = {
        metric: MetricCell(item["target"], item["actual"], item["ratio"], lag_badge(item["ratio"], year))
        for metric, item in completion.items()
    }
    ratios = [c.ratio for c in cells.values() if c.ratio is not None]
    worst = min(ratios) if ratios else None
    return ProgressRow(
        org=org, figures=figures, cells=cells, worst=worst, score=overall_completion(ratios), badge=lag_badge(worst, year)
    )


def _ordered(rows: list[ProgressRow], order: str) -> list[ProgressRow]:
    for row, rank in zip(rows, competition_ranks([r.score for r in rows])):
        row.rank = rank
    if order == "tree":
        return rows
    ranked = [r for r in rows if r.score is not None]
    unranked = [r for r in rows if r.score is None]
    # Ties keep the organisation order, in both directions.
    ranked.sort(key=lambda r: r.score, reverse=(order == "leading"))
    return ranked + unranked


def progress_dashboard(user, *, year: int, org_id=None, kind: str = "", order: str = DEFAULT_ORDER) -> Dashboard:
    """The dashboard of one visible org (default: the user's top visible org) and its visible children."""
    visible = orgs_visible_to(user)
    if org_id:
        root = org_visible_or_404(user, org_id)
    else:
        root = visible.order_by("tree_id", "lft").first()
        if root is None:
            raise Http404
    children = visible.filter(parent=root)
    if kind:
        children = children.filter(kind=kind)
    children = list(children.order_by("tree_id", "lft"))
    trail = list(visible.filter(tree_id=root.tree_id, lft__lt=root.lft, rght__gt=root.rght).order_by("lft"))
    snapshots = {
        s.org_id: s
        for s in ProgressSnapshot.objects.filter(year=year, scope="subtree", org_id__in=[root.pk] + [c.pk for c in children])
    }
    summary = _progress_row(root, snapshots.get(root.pk), year)
    rows = _ordered([_progress_row(child, snapshots.get(child.pk), year) for child in children], order)
    months = list(range(1, elapsed_months(year) + 1))
    figures = summary.figures
    monthly = {key: figures.monthly(key)[: len(months)] for key in ("received", "approved", "new_members", "existing_registered")}
    received = figures["received"]
    funnel = [
        (key, figures[key], round(figures[key] * 100 / received, 1) if received else None)
        for key in ("received", "approved", "recommendations_made", "recommendations_accepted")
    ]
    level_totals = [
        (str(Target.Metric(metric).label), summary.cells[metric]) for metric in Target.LEVEL_TOTALS if metric in summary.cells
    ]
    computed = [s.computed_at for s in snapshots.values()]
    newest = max(computed) if computed else None
    marks = ProgressDirtyMark.objects.filter(org__in=Org.objects.in_subtree(root))
    if newest is not None:
        marks = marks.filter(marked_at__gte=newest)
    # Decisions and membership changes wait as counted deltas until the next recompute applies them.
    deltas = ProgressDelta.objects.filter(org__in=Org.objects.in_subtree(root), year=year)
    return Dashboard(
        root=root, year=year, kind=kind, order=order, trail=trail, summary=summary, rows=rows, months=months,
        monthly=monthly, funnel=funnel, computed_at=newest, recount_pending=marks.exists() or deltas.exists(),
        has_targets=Target.objects.filter(year=year, org__in=[root, *children]).exists(), level_totals=level_totals,
    )


def progress_years(*extra: int) -> list[int]:
    """Years a person can pick, newest first: years with targets or snapshots, this year and next year."""
    today = timezone.localdate().year
    years = set(ProgressSnapshot.objects.values_list("year", flat=True).distinct())
    years |= set(Target.objects.values_list("year", flat=True).distinct())
    years |= {today, today + 1, *extra}
    return sorted(years, reverse=True)


def refresh_note() -> str:
    """How the figures on the pages get updated in this deployment, said as it really happens."""
    if scheduler.is_running():
        return _("审核决定和会员变动提交后几秒内自动重算")
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return _("审核决定和会员变动提交时立即重算")
    sweep = settings.CELERY_BEAT_SCHEDULE.get("progress-recompute-dirty", {}).get("schedule", 300)
    return _("审核决定和会员变动后约 %(debounce)s 秒内由后台任务重算，另每 %(sweep)s 分钟补算一次、每天凌晨全量重算") % {
        "debounce": settings.KEXIE_PROGRESS_DEBOUNCE_SECONDS,
        "sweep": round(float(sweep) / 60),
    }


def targets_settable_by(user) -> QuerySet[Org]:
    """Orgs whose targets the user may set: those strictly below the orgs it administers (the level above
    decides), and the root it administers itself (the province has no level above)."""
    if user.is_superuser:
        return Org.objects.all()
    roots = permissions.orgs_granted(user, manage=True).filter(parent__isnull=True).values("pk")
    return Org.objects.filter(Q(pk__in=orgs_below_managed(user).values("pk")) | Q(pk__in=roots))


def targets_of(org_ids, year: int) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = {}
    for org_id, metric, value in Target.objects.filter(org_id__in=org_ids, year=year).values_list(
        "org_id", "metric", "value"
    ):
        result.setdefault(org_id, {})[metric] = value
    return result


# The cache entry a tree write replaces (orgs.services.tree.org_tree_lock), so cached dashboards show new or
# renamed organisations at once; the entries' lifetime (settings.DASHBOARD_CACHE_SECONDS) is the safety net.
TREE_VERSION_KEY = "orgs:tree:version"


def _figures_version() -> tuple:
    """What the dashboard's numbers are made of, in one query: the snapshots (a recount or applied deltas
    rewrite computed_at; a target change is recounted into them), the changes waiting for a recount (marks and
    deltas: applied deltas are deleted, so their newest id and count change both ways), and the targets."""
    snapshot, mark, delta, target = (
        m._meta.db_table for m in (ProgressSnapshot, ProgressDirtyMark, ProgressDelta, Target)
    )
    # From the database the page's figures come from (a streaming replica on a replica page), so an entry is
    # never filed under a version newer than what it shows.
    with connections[router.db_for_read(ProgressSnapshot)].cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT max(computed_at) FROM {snapshot}), (SELECT count(*) FROM {snapshot}),"
            f" (SELECT max(marked_at) FROM {mark}), (SELECT count(*) FROM {mark}),"
            f" (SELECT max(id) FROM {delta}), (SELECT count(*) FROM {delta}),"
            f" (SELECT max(updated_at) FROM {target}), (SELECT count(*) FROM {target})"
        )
        return tuple(str(v) for v in cursor.fetchone())


def dashboard_cache_key(user, *, year: int, org_id, kind: str, order: str) -> str | None:
    """The cache key of a rendered dashboard: everything its content depends on, or None when it must not be
    cached (the fragment cache is switched off).

    The content depends on the user only through their scope (`scope_identity`: which organisations they see
    and may set targets for), so two administrators of the same organisation share one entry and nobody can
    reach an entry rendered for another scope. The date is part of the key: the lag badges compare with today."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds:
        return None
    parts = (
        scope_identity(user), user.is_superuser, bool(getattr(user, "department", "")),
        year, org_id, kind, order, timezone.localdate().isoformat(), translation.get_language(), refresh_note(),
        cache.get(TREE_VERSION_KEY, "0"), _figures_version(),
    )
    return "orgs:dashboard:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def public_cache_key(year: int, province_id: int | None = None) -> str:
    return f"progress:public:{year}" if province_id is None else f"progress:public:{year}:{province_id}"


def public_version_key(year: int, province_id: int | None = None) -> str:
    return public_cache_key(year, province_id) + ":version"


def public_pages() -> list[Org | None]:
    """Every public page: the whole tree's (None) and, under a national root, each province's."""
    return [None, *public_provinces()]


def public_provinces() -> list[Org]:
    """The provincial 科协 under a national root, each with a public page of its own; none when a province
    is itself the root."""
    return list(
        Org.objects.filter(
            level=Org.Level.PROVINCE, kind=Org.Kind.KEXIE, parent__level=Org.Level.NATIONAL, parent__parent__isnull=True
        ).order_by("tree_id", "lft")
    )


def public_province_or_404(province_id: int) -> Org:
    """A province of the national tree by id; anything else is not a public page."""
    province = next((p for p in public_provinces() if p.pk == province_id), None)
    if province is None:
        raise Http404
    return province


def progress_public(year: int, province: Org | None = None) -> dict:
    """Aggregates for the public page: org names and numbers only. Under a national root the page without a
    province shows the national total and one row per province, and each province's page its cities and
    counties; a provincial tree shows its cities and counties. Cached until the next recount of the year drops
    it (orgs.services.progress.progress_public_invalidate).

    A copy is kept only when it is at least as new as the last recount announced: the page may read a streaming
    replica (kexie.db_routing) that has not replayed that recount yet, and its older figures must not stay
    cached for minutes; the next visitor reads again instead."""
    province_id = province.pk if province else None
    data = cache.get(public_cache_key(year, province_id))
    if data is None:
        data = _progress_public(year, province)
        announced = cache.get(public_version_key(year, province_id))
        if announced is None or (data["computed_at"] is not None and data["computed_at"] >= announced):
            cache.set(public_cache_key(year, province_id), data, PUBLIC_CACHE_SECONDS)
    return data


def public_snapshot_version(year: int, province: Org | None = None):
    """The newest snapshot time the public page of `year` (and `province`) shows (None without snapshots)."""
    provinces = public_provinces()
    if provinces and province is None:
        areas = [provinces[0].parent_id, *(p.pk for p in provinces)]
    else:
        areas = [a.pk for a in _public_areas(province)]
    return ProgressSnapshot.objects.filter(year=year, scope="subtree", org__in=areas).aggregate(
        newest=Max("computed_at")
    )["newest"]


def _public_areas(province: Org | None) -> list[Org]:
    areas = Org.objects.filter(
        Q(level=Org.Level.CITY, kind=Org.Kind.KEXIE)
        | Q(level=Org.Level.COUNTY, kind__in=[Org.Kind.KEXIE, Org.Kind.PARK], parent__level=Org.Level.CITY,
            parent__kind=Org.Kind.KEXIE)
        | (Q(pk=province.pk) if province else Q(parent__isnull=True))
    )
    if province is not None:
        areas = areas.filter(tree_id=province.tree_id, lft__gte=province.lft, rght__lte=province.rght)
    return list(areas.order_by("tree_id", "lft"))


def _public_entry(org: Org, snap, year: int) -> dict:
    figures = Figures.from_snapshot(snap)
    target = (snap.completion if snap else {}).get("new_members") or {}
    return {
        "id": org.pk,
        "name": org.name,
        "received": figures["received"],
        "approved": figures["approved"],
        "new_members": figures.new_members_at(org.level),
        "existing_registered": figures["existing_registered"],
        "recommendations": figures["recommendations_made"],
        "target": target.get("target"),
        "percent": round(target["ratio"] * 100, 1) if target.get("ratio") is not None else None,
        "badge": lag_badge(target.get("ratio"), year),
    }


PUBLIC_TOTALS = ["received", "approved", "new_members", "existing_registered", "recommendations_made"]


def _progress_public(year: int, province: Org | None) -> dict:
    provinces = public_provinces()
    if provinces and province is None:
        return _progress_public_national(year, provinces)
    areas = _public_areas(province)
    snapshots = {
        s.org_id: s for s in ProgressSnapshot.objects.filter(year=year, scope="subtree", org__in=[a.pk for a in areas])
    }
    root = province or next((a for a in areas if a.parent_id is None), None)
    cities = []
    by_pk = {}
    for org in areas:
        if org.level == Org.Level.CITY:
            by_pk[org.pk] = {**_public_entry(org, snapshots.get(org.pk), year), "counties": []}
            cities.append(by_pk[org.pk])
        elif org.parent_id in by_pk:
            by_pk[org.parent_id]["counties"].append(_public_entry(org, snapshots.get(org.pk), year))
    totals = None
    if root is not None:
        totals = Figures.from_snapshot(snapshots.get(root.pk)).as_dict(PUBLIC_TOTALS)
    computed = [s.computed_at for s in snapshots.values()]
    return {
        "year": year,
        "province": totals,
        "province_id": province.pk if province else None,
        "province_name": province.name if province else "",
        "provinces": [{"id": p.pk, "name": p.name} for p in provinces],
        "cities": cities,
        "computed_at": max(computed) if computed else None,
        "has_targets": Target.objects.filter(year=year, org__in=[a.pk for a in areas]).exists(),
    }


def _progress_public_national(year: int, provinces: list[Org]) -> dict:
    """The national page: the national total and one row per province (its cities are on its own page)."""
    national = Org.objects.get(pk=provinces[0].parent_id)
    areas = [national, *provinces]
    snapshots = {
        s.org_id: s for s in ProgressSnapshot.objects.filter(year=year, scope="subtree", org__in=[a.pk for a in areas])
    }
    computed = [s.computed_at for s in snapshots.values()]
    return {
        "year": year,
        "national": Figures.from_snapshot(snapshots.get(national.pk)).as_dict(PUBLIC_TOTALS),
        "province": None,
        "province_id": None,
        "provinces": [{"id": p.pk, "name": p.name} for p in provinces],
        "province_rows": [_public_entry(p, snapshots.get(p.pk), year) for p in provinces],
        "cities": [],
        "computed_at": max(computed) if computed else None,
        "has_targets": Target.objects.filter(year=year, org__in=[a.pk for a in areas]).exists(),
    }
