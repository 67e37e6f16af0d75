"""Progress dashboards and targets, read from the stored snapshots (no personal data)."""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from orgs.figures import COUNT_KEYS, lag_badge
from orgs.models import Org, ProgressSnapshot, Target
from orgs.selectors.scope import org_visible_or_404, orgs_below_managed, orgs_visible_to


DASHBOARD_METRICS = ("new_members", "recommendations", "member_growth_pct", "unit_members")

PUBLIC_CACHE_SECONDS = 300


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
    counts: dict
    cells: dict[str, MetricCell]
    badge: str = ""
    # Worst completion ratio decides the badge; the mean over the row's targets orders and ranks the rows.
    worst: float | None = None
    score: float | None = None
    rank: int | None = None


@dataclass
class Dashboard:
    root: Org
    year: int
    kind: str
    trail: list[Org]
    summary: ProgressRow
    rows: list[ProgressRow]
    monthly: dict[str, list[int]]
    funnel: list[tuple[str, int, float | None]]
    computed_at: object
    level_totals: list[tuple[str, MetricCell]] = field(default_factory=list)


def _progress_row(org: Org, snapshot, year: int) -> ProgressRow:
    counts = snapshot.counts if snapshot else dict.fromkeys(COUNT_KEYS, 0)
    completion = snapshot.completion if snapshot else {}
    cells = {}
    for metric, item in completion.items():
        cells[metric] = MetricCell(item["target"], item["actual"], item["ratio"], lag_badge(item["ratio"], year))
    ratios = [c.ratio for c in cells.values() if c.ratio is not None]
    worst = min(ratios) if ratios else None
    score = round(sum(ratios) / len(ratios), 4) if ratios else None
    return ProgressRow(org=org, counts=counts, cells=cells, worst=worst, score=score, badge=lag_badge(worst, year))


def progress_dashboard(user, *, year: int, org_id=None, kind: str = "") -> Dashboard:
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
    children = list(children.order_by("code"))
    trail = list(visible.filter(tree_id=root.tree_id, lft__lt=root.lft, rght__gt=root.rght).order_by("lft"))
    snapshots = {
        s.org_id: s
        for s in ProgressSnapshot.objects.filter(year=year, scope="subtree", org_id__in=[root.pk] + [c.pk for c in children])
    }
    summary = _progress_row(root, snapshots.get(root.pk), year)
    rows = [_progress_row(child, snapshots.get(child.pk), year) for child in children]
    with_target = sorted((r for r in rows if r.score is not None), key=lambda r: (r.score, r.org.code))
    scores = sorted((r.score for r in with_target), reverse=True)
    for row in with_target:
        row.rank = scores.index(row.score) + 1  # equal completion, equal rank
    rows = with_target + [r for r in rows if r.score is None]
    root_snapshot = snapshots.get(root.pk)
    monthly = root_snapshot.monthly if root_snapshot else {}
    c = summary.counts
    received = c.get("received", 0)
    funnel = [
        (str(_("申请")), received, 100.0 if received else None),
        (str(_("批准")), c.get("approved", 0), None),
        (str(_("向上级推荐")), c.get("recommendations_made", 0), None),
        (str(_("推荐获批")), c.get("recommendations_accepted", 0), None),
    ]
    funnel = [(label, n, round(n * 100 / received, 1) if received else None) for label, n, _pct in funnel]
    level_totals = [
        (str(Target.Metric(metric).label), summary.cells[metric]) for metric in Target.LEVEL_TOTALS if metric in summary.cells
    ]
    computed = [s.computed_at for s in snapshots.values()]
    return Dashboard(
        root=root, year=year, kind=kind, trail=trail, summary=summary, rows=rows, monthly=monthly, funnel=funnel,
        computed_at=min(computed) if computed else None, level_totals=level_totals,
    )


def targets_settable_by(user) -> QuerySet[Org]:
    """Orgs whose targets the user may set: strictly below the orgs it administers (the level above decides)."""
    return Org.objects.all() if user.is_superuser else orgs_below_managed(user)


def targets_of(org_ids, year: int) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = {}
    for org_id, metric, value in Target.objects.filter(org_id__in=org_ids, year=year).values_list(
        "org_id", "metric", "value"
    ):
        result.setdefault(org_id, {})[metric] = value
    return result


def progress_public(year: int) -> dict:
    """Aggregates by city and county for the public page: org names and numbers only, cached for a few minutes."""
    from django.core.cache import cache

    return cache.get_or_set(f"progress:public:{year}", lambda: _progress_public(year), PUBLIC_CACHE_SECONDS)


def _progress_public(year: int) -> dict:
    areas = list(
        Org.objects.filter(
            Q(parent__isnull=True)
            | Q(level=Org.Level.CITY, kind=Org.Kind.KEXIE)
            | Q(level=Org.Level.COUNTY, kind__in=[Org.Kind.KEXIE, Org.Kind.PARK], parent__level=Org.Level.CITY,
                parent__kind=Org.Kind.KEXIE)
        ).order_by("tree_id", "lft")
    )
    snapshots = {
        s.org_id: s for s in ProgressSnapshot.objects.filter(year=year, scope="subtree", org__in=[a.pk for a in areas])
    }

    def entry(org: Org) -> dict:
        snap = snapshots.get(org.pk)
        counts = snap.counts if snap else {}
        target = (snap.completion if snap else {}).get("new_members") or {}
        return {
            "name": org.name,
            "received": counts.get("received", 0),
            "approved": counts.get("approved", 0),
            "new_members": counts.get(f"new_members_{org.level}_level", 0),
            "recommendations": counts.get("recommendations_made", 0),
            "target": target.get("target"),
            "percent": round(target["ratio"] * 100, 1) if target.get("ratio") is not None else None,
            "badge": lag_badge(target.get("ratio"), year),
        }

    root = next((a for a in areas if a.parent_id is None), None)
    cities = []
    by_pk = {}
    for org in areas:
        if org.level == Org.Level.CITY:
            by_pk[org.pk] = {**entry(org), "counties": []}
            cities.append(by_pk[org.pk])
        elif org.parent_id in by_pk:
            by_pk[org.parent_id]["counties"].append(entry(org))
    province = None
    if root is not None:
        snap = snapshots.get(root.pk)
        counts = snap.counts if snap else {}
        province = {k: counts.get(k, 0) for k in ("received", "approved", "new_members", "recommendations_made")}
    computed = [s.computed_at for s in snapshots.values()]
    return {"year": year, "province": province, "cities": cities, "computed_at": min(computed) if computed else None}
