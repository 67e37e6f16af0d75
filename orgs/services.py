"""Writes on organisations, administrator accounts and the audit trail."""

import csv
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.errors import DomainError, OutOfScope
from kexie.request_context import current_client_ip
from orgs import permissions, progress, selectors
from orgs.models import AuditEvent, Org, ProgressDirtyMark, ProgressSnapshot, Target

logger = logging.getLogger(__name__)

# Arbitrary constant naming "the org tree" among PostgreSQL advisory locks.
ORG_TREE_LOCK_KEY = 0x6B657869


@contextmanager
def org_tree_lock():
    """Serialise tree writes: django-mptt rewrites lft/rght of many rows and does not lock them itself."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ORG_TREE_LOCK_KEY])
        yield


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    org: Org | None = None,
    comment: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Append an audit row in the caller's transaction; the IP comes from the current request, if any."""
    return AuditEvent.objects.create(
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        ip=current_client_ip(),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        org=org,
        comment=comment,
        data=data or {},
    )


def org_create(*, parent: Org | None, name: str, code: str, kind: str, level: str, external_id=None) -> Org:
    with org_tree_lock():
        if parent is not None:
            # Re-read the parent inside the lock: its lft/rght may have moved since the caller fetched it.
            parent = Org.objects.get(pk=parent.pk)
        org = Org(parent=parent, name=name, code=code, kind=kind, level=level, external_id=external_id)
        org.full_clean()
        org.save()
        return org


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    moved: int
    unchanged: int


def default_org_code(external_id: str) -> str:
    return f"HB{int(external_id):03d}"


def orgs_load_csv(path: Path) -> LoadResult:
    """Load `id,parent_id,level,kind,name[,code]` idempotently, keyed on the file's id (external_id)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        if r["parent_id"] and r["parent_id"] not in by_id:
            raise DomainError(_("第 %(id)s 行的上级组织 %(parent)s 不存在") % {"id": r["id"], "parent": r["parent_id"]})
        if r["level"] not in Org.Level.values or r["kind"] not in Org.Kind.values:
            raise DomainError(_("第 %(id)s 行的级别或类型无效") % {"id": r["id"]})

    # Parents before children, so a parent always exists when its child is saved.
    ordered: list[dict] = []
    placed: set[str] = set()
    pending = rows
    while pending:
        ready = [r for r in pending if not r["parent_id"] or r["parent_id"] in placed]
        if not ready:
            raise DomainError(_("组织文件中存在循环的上下级关系"))
        ordered.extend(ready)
        placed.update(r["id"] for r in ready)
        pending = [r for r in pending if r["id"] not in placed]

    created = updated = moved = unchanged = 0
    with org_tree_lock():
        existing = {o.external_id: o for o in Org.objects.filter(external_id__isnull=False)}
        for r in ordered:
            parent = existing.get(r["parent_id"]) if r["parent_id"] else None
            code = (r.get("code") or "").strip() or default_org_code(r["id"])
            org = existing.get(r["id"])
            if org is None:
                org = Org(external_id=r["id"], parent=parent, name=r["name"], code=code, kind=r["kind"], level=r["level"])
                org.save()
                existing[r["id"]] = org
                created += 1
                continue
            org.refresh_from_db()
            if org.parent_id != (parent.pk if parent else None):
                if parent is not None:
                    parent.refresh_from_db()
                # Saving a new parent lets mptt place the node by order_insertion_by, as rebuild() would.
                org.parent = parent
                org.save()
                org.refresh_from_db()
                moved += 1
            fields = {"name": r["name"], "code": code, "kind": r["kind"], "level": r["level"]}
            changed = [f for f, v in fields.items() if getattr(org, f) != v]
            if changed:
                for f in changed:
                    setattr(org, f, fields[f])
                org.save(update_fields=changed)
                updated += 1
            elif org.parent_id == (parent.pk if parent else None):
                unchanged += 1
    return LoadResult(created=created, updated=updated, moved=moved, unchanged=unchanged)


# --- administrator and staff accounts --------------------------------------------------------------------


def _account_fields_check(*, username: str, mobile: str | None, password: str, full_name: str) -> None:
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise DomainError(_("用户名“%(username)s”已被使用") % {"username": username})
    if mobile and User.objects.filter(mobile=mobile).exists():
        raise DomainError(_("该手机号码已绑定其他账号"))
    validate_password(password, User(username=username, full_name=full_name))


def admin_account_create(
    *,
    actor,
    org: Org,
    username: str,
    full_name: str,
    password: str,
    mobile: str | None = None,
    email: str = "",
):
    """Create an administrator for `org`, which must lie strictly below an org the actor administers."""
    User = get_user_model()
    if not actor.is_superuser and not selectors.orgs_below_managed(actor).filter(pk=org.pk).exists():
        raise OutOfScope()
    with transaction.atomic():
        _account_fields_check(username=username, mobile=mobile, password=password, full_name=full_name)
        account = User(username=username, full_name=full_name, mobile=mobile or None, email=email, created_by=actor)
        account.set_password(password)
        account.save()
        permissions.grant_administer(account, org)
        audit_record(actor=actor, action="admin_account.create", obj=account, org=org, data={"username": username})
    return account


def _account_in_actor_scope(actor, account) -> list[Org]:
    """The orgs the account administers, provided all of them lie below the actor's administered orgs."""
    granted = list(permissions.orgs_administered_by_account(account))
    if not granted or account.is_superuser:
        raise OutOfScope()
    if actor.is_superuser:
        return granted
    allowed = selectors.orgs_below_managed(actor)
    if allowed.filter(pk__in=[o.pk for o in granted]).count() != len(granted):
        raise OutOfScope()
    return granted


def admin_account_set_active(*, actor, account, active: bool):
    with transaction.atomic():
        User = get_user_model()
        account = User.objects.select_for_update().get(pk=account.pk)
        orgs = _account_in_actor_scope(actor, account)
        if account.pk == actor.pk:
            raise DomainError(_("不能停用自己的账号"))
        if account.is_active == active:
            return account
        account.is_active = active
        account.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="admin_account.activate" if active else "admin_account.deactivate",
            obj=account,
            org=orgs[0],
        )
    return account


def staff_account_create(*, actor, username: str, full_name: str, department: str, password: str, mobile=None):
    """Provincial staff: read-only over the whole province. Only a province-level administrator creates them."""
    User = get_user_model()
    roots = [o for o in permissions.orgs_granted(actor, manage=True) if o.parent_id is None]
    if actor.is_superuser and not roots:
        roots = list(Org.objects.filter(parent__isnull=True))
    if not roots:
        raise OutOfScope()
    if department not in User.Department.values:
        raise DomainError(_("请选择所属部门"))
    with transaction.atomic():
        _account_fields_check(username=username, mobile=mobile, password=password, full_name=full_name)
        account = User(
            username=username, full_name=full_name, department=department, mobile=mobile or None, created_by=actor
        )
        account.set_password(password)
        account.save()
        for root in roots:
            permissions.grant_view(account, root)
        audit_record(
            actor=actor, action="staff_account.create", obj=account, org=roots[0], data={"department": department}
        )
    return account


# --- targets ---------------------------------------------------------------------------------------------

TARGET_MAX = {Target.Metric.MEMBER_GROWTH_PCT: 1000}
TARGET_MAX_DEFAULT = 1_000_000
YEAR_RANGE = range(2000, 2101)


def target_set(*, actor, org: Org, year: int, metric: str, value: int) -> Target:
    """Set one target of an org strictly below the actor's administered orgs (the level above decides)."""
    if not actor.is_superuser and not selectors.orgs_below_managed(actor).filter(pk=org.pk).exists():
        raise OutOfScope()
    if metric not in Target.metrics_for(org):
        raise DomainError(_("“%(org)s”不适用该指标") % {"org": org.name})
    if year not in YEAR_RANGE:
        raise DomainError(_("年度应在 2000 至 2100 之间"))
    limit = TARGET_MAX.get(metric, TARGET_MAX_DEFAULT)
    if not isinstance(value, int) or not 0 <= value <= limit:
        raise DomainError(_("目标值应为 0 至 %(max)s 之间的整数") % {"max": limit})
    with transaction.atomic():
        target = Target.objects.select_for_update().filter(org=org, year=year, metric=metric).first()
        old = target.value if target else None
        if target is None:
            try:
                with transaction.atomic():
                    target = Target.objects.create(org=org, year=year, metric=metric, value=value, updated_by=actor)
            except IntegrityError:
                # Someone created it concurrently: lock theirs and update it like any existing target.
                target = Target.objects.select_for_update().get(org=org, year=year, metric=metric)
                old = target.value
        if old is not None:
            if old == value:
                return target
            target.value = value
            target.updated_by = actor
            target.save(update_fields=["value", "updated_by", "updated_at"])
        audit_record(
            actor=actor,
            action="target.set",
            obj=target,
            org=org,
            data={"year": year, "metric": metric, "old": old, "new": value},
        )
        transaction.on_commit(lambda: progress_schedule(org_ids=[org.pk]))
    return target


def seed_target_rules(org: Org) -> dict[str, int]:
    """Default yearly targets of 冀科协〔2017〕90号 and the 2017 society reform points, by org kind and level."""
    M = Target.Metric
    if org.parent_id is None:
        return {M.NEW_MEMBERS_PROVINCE_LEVEL: 3340, M.NEW_MEMBERS_CITY_LEVEL: 6670, M.NEW_MEMBERS_COUNTY_LEVEL: 10000}
    if org.kind == Org.Kind.KEXIE and org.level == Org.Level.CITY:
        return {M.NEW_MEMBERS: 610, M.RECOMMENDATIONS: 50}
    if org.kind == Org.Kind.KEXIE and org.level == Org.Level.COUNTY:
        return {M.NEW_MEMBERS: 80}
    if org.kind == Org.Kind.SOCIETY and org.level == Org.Level.PROVINCE:
        return {M.RECOMMENDATIONS: 20, M.MEMBER_GROWTH_PCT: 15}
    return {}


def targets_seed(*, year: int, actor=None) -> int:
    """Create the default targets an org does not have yet for `year`; targets already set are kept."""
    if year not in YEAR_RANGE:
        raise DomainError(_("年度应在 2000 至 2100 之间"))
    with transaction.atomic():
        existing = set(Target.objects.filter(year=year).values_list("org_id", "metric"))
        new = [
            Target(org=org, year=year, metric=metric, value=value, updated_by=actor)
            for org in Org.objects.order_by("tree_id", "lft")
            for metric, value in seed_target_rules(org).items()
            if (org.pk, metric) not in existing
        ]
        Target.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            root = Org.objects.filter(parent__isnull=True).order_by("pk").first()
            audit_record(actor=actor, action="target.seed", obj=root, org=root, data={"year": year, "created": len(new)})
            org_ids = {t.org_id for t in new}
            transaction.on_commit(lambda: progress_schedule(org_ids=org_ids))
    return len(new)


# --- progress snapshots ----------------------------------------------------------------------------------

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


@contextmanager
def _progress_lock_acquire() -> Iterator[bool]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [PROGRESS_LOCK_KEY])
            acquired = cursor.fetchone()[0]
        try:
            yield acquired
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [PROGRESS_LOCK_KEY])
        return
    # SQLite (development): a cache entry, expiring in case the holder dies.
    token = uuid.uuid4().hex
    acquired = cache.add(PROGRESS_LOCK_CACHE_KEY, token, timeout=3600)
    try:
        yield acquired
    finally:
        if acquired and cache.get(PROGRESS_LOCK_CACHE_KEY) == token:
            cache.delete(PROGRESS_LOCK_CACHE_KEY)


def progress_mark_dirty(*, org_ids: Iterable[int]) -> None:
    now = timezone.now()
    ProgressDirtyMark.objects.bulk_create(
        [ProgressDirtyMark(org_id=org_id, marked_at=now) for org_id in sorted(set(org_ids))],
        update_conflicts=True,
        unique_fields=["org"],
        update_fields=["marked_at"],
    )


def progress_schedule(*, org_ids: Iterable[int]) -> None:
    """Mark orgs dirty and, unless a job is already due, enqueue one recompute after the debounce window."""
    from orgs.tasks import progress_recompute_dirty

    progress_mark_dirty(org_ids=org_ids)
    if not cache.add(PROGRESS_SCHEDULED_CACHE_KEY, 1, timeout=PROGRESS_DEBOUNCE_SECONDS):
        return
    try:
        progress_recompute_dirty.apply_async(countdown=PROGRESS_DEBOUNCE_SECONDS)
    except Exception:  # noqa: BLE001 - broker down: the marks stay and the beat run picks them up
        logger.warning("progress recompute not enqueued; the periodic run will pick the marks up")


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
    own: dict[int, progress.Tally],
    subtree: dict[int, progress.Tally],
    own_known: dict[int, progress.Tally] | None = None,
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
                completion=progress.completion(orgs[org_id], targets.get(org_id, {}), own_known[org_id], t),
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
    own = progress.own_tallies(year, orgs)
    _snapshots_write(year=year, orgs=orgs, own=own, subtree=progress.roll_up(orgs, own))


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
    own = progress.own_tallies(year, orgs, dirty)
    own_all = dict(own)
    own_all.update({i: progress.Tally.from_snapshot(stored[(i, "own")]) for i in own_needed})
    subtree: dict[int, progress.Tally] = {}
    for org_id in sorted(affected, key=lambda i: -orgs[i].depth):
        tally = own_all[org_id].copy()
        for child in children[org_id]:
            tally.add(subtree[child] if child in affected else progress.Tally.from_snapshot(stored[(child, "subtree")]))
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


def dashboard_export(*, actor, dashboard, year: int, kind: str) -> bytes:
    """A progress dashboard table as Excel (aggregates only, no personal data); audited as one export."""
    from orgs.exports import dashboard_workbook

    with transaction.atomic():
        content = dashboard_workbook(dashboard)
        audit_record(
            actor=actor,
            action="export.dashboard",
            obj=dashboard.root,
            org=dashboard.root,
            data={"year": year, "kind": kind, "rows": len(dashboard.rows)},
        )
    return content
