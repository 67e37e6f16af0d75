"""Writes on organisations, administrator accounts and the audit trail."""

import csv
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from kexie.errors import DomainError, OutOfScope
from kexie.request_context import current_client_ip
from orgs import permissions, selectors
from orgs.models import AuditEvent, Org

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
