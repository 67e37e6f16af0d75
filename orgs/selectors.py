"""Reads that scope by organisation. Every list, detail, count, export and task starts here."""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from orgs import permissions
from orgs.models import Org


def _subtrees_of(roots: list[Org]) -> QuerySet[Org]:
    if not roots:
        return Org.objects.none()
    return Org.objects.filter(
        reduce(or_, (Q(tree_id=r.tree_id, lft__gte=r.lft, rght__lte=r.rght) for r in roots))
    )


def orgs_visible_to(user) -> QuerySet[Org]:
    """Orgs the user may read: granted orgs (administer or view) and all their descendants."""
    return _subtrees_of(list(permissions.orgs_granted(user, manage=False).only("tree_id", "lft", "rght")))


def orgs_granted_directly(user) -> QuerySet[Org]:
    """Orgs the user holds a grant on, without their descendants: a list's scope before "include the subtree"."""
    return Org.objects.filter(pk__in=permissions.orgs_granted(user, manage=False).values("pk"))


def orgs_managed_by(user) -> QuerySet[Org]:
    """Orgs the user may act on: orgs it administers and all their descendants."""
    return _subtrees_of(list(permissions.orgs_granted(user, manage=True).only("tree_id", "lft", "rght")))


def orgs_below_managed(user) -> QuerySet[Org]:
    """Orgs strictly below the administered ones: where this user may create administrator accounts."""
    roots = list(permissions.orgs_granted(user, manage=True).only("tree_id", "lft", "rght"))
    if not roots:
        return Org.objects.none()
    return Org.objects.filter(
        reduce(or_, (Q(tree_id=r.tree_id, lft__gt=r.lft, rght__lt=r.rght) for r in roots))
    )


def org_visible_or_404(user, org_id) -> Org:
    """Out of scope and nonexistent look the same."""
    try:
        return orgs_visible_to(user).get(pk=org_id)
    except (Org.DoesNotExist, ValueError, TypeError):
        raise Http404


def org_managed_or_404(user, org_id) -> Org:
    try:
        return orgs_managed_by(user).get(pk=org_id)
    except (Org.DoesNotExist, ValueError, TypeError):
        raise Http404


def is_administrator(user) -> bool:
    return permissions.holds_any_grant(user, manage=True)


def is_provincial_staff(user) -> bool:
    return bool(getattr(user, "department", "")) and permissions.holds_any_grant(user, manage=False)


def org_tree_with_counts(user) -> list[Org]:
    """The visible subtree in tree order, each org annotated with member, pending and child counts."""
    from approvals.models import Application
    from members.models import Membership

    orgs = list(orgs_visible_to(user).order_by("tree_id", "lft"))
    ids = [o.pk for o in orgs]
    members = dict(
        Membership.objects.active().filter(org_id__in=ids).values_list("org_id").annotate(n=Count("id"))
    )
    pending = dict(
        Application.objects.filter(org_id__in=ids, status=Application.Status.SUBMITTED)
        .values_list("org_id")
        .annotate(n=Count("id"))
    )
    visible = set(ids)
    for org in orgs:
        org.member_count = members.get(org.pk, 0)
        org.pending_count = pending.get(org.pk, 0)
        org.descendant_total = (org.rght - org.lft - 1) // 2
        org.parent_visible = org.parent_id in visible
    return orgs


def is_province_administrator(user) -> bool:
    """Administers a root org (the province): may create provincial staff accounts."""
    if user.is_superuser:
        return True
    return permissions.orgs_granted(user, manage=True).filter(parent__isnull=True).exists()


def administrators_of_visible(user, org: Org):
    """Administrator accounts of an org the user can already see (the caller has checked `org`)."""
    return permissions.administrators_of(org).order_by("username")


def admin_accounts_manageable_by(user):
    """Administrator accounts of orgs strictly below the user's administered orgs, with those orgs attached."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    below = orgs_below_managed(user) if not user.is_superuser else Org.objects.all()
    accounts = list(
        User.objects.filter(pk__in=permissions.account_ids_administering(below.values("pk")))
        .order_by("username")
    )
    grants = permissions.administered_org_ids_by_user([a.pk for a in accounts])
    org_names = dict(Org.objects.filter(pk__in={i for ids in grants.values() for i in ids}).values_list("pk", "name"))
    for account in accounts:
        account.org_names = [org_names[i] for i in grants.get(account.pk, [])]
    staff = []
    if is_province_administrator(user):
        staff = list(User.objects.exclude(department="").order_by("username"))
        for account in staff:
            account.org_names = [account.get_department_display()]
    return accounts + staff


# --- progress dashboards ---------------------------------------------------------------------------------

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
    from orgs.progress import COUNT_KEYS, lag_badge

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
    from orgs.models import ProgressSnapshot, Target

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
    from orgs.models import Target

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
    from orgs.models import ProgressSnapshot
    from orgs.progress import lag_badge

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


def list_scope_org_or_404(user, org: Org | None) -> Org:
    """The org a filtered list or export is about: the chosen one, else the first the user is granted directly."""
    scope = org or orgs_granted_directly(user).order_by("tree_id", "lft").first()
    if scope is None:
        raise Http404
    return scope
