"""Writes on the organisation tree: creating organisations and loading the tree from a file."""

import csv
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from kexie.errors import DomainError
from kexie.locks import transaction_lock
from orgs.models import Org
from orgs.selectors.progress import TREE_VERSION_KEY


# Arbitrary constant naming "the org tree" among PostgreSQL advisory locks.
ORG_TREE_LOCK_KEY = 0x6B657869


@contextmanager
def org_tree_lock():
    """Serialise tree writes: django-mptt rewrites lft/rght of many rows and does not lock them itself."""
    with transaction.atomic():
        transaction_lock(ORG_TREE_LOCK_KEY)
        # Cached dashboards name and nest organisations: a committed tree write makes them render again.
        transaction.on_commit(lambda: cache.set(TREE_VERSION_KEY, uuid.uuid4().hex, None))
        yield


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


def org_set_accepting(*, actor, org: Org, accepting: bool) -> Org:
    """系统管理员: open or close an organisation to new applications (接受申请), inside the officer's subtree."""
    from kexie.errors import OutOfScope
    from orgs.models import OfficerRole
    from orgs.selectors.scope import orgs_in_officer_scope
    from orgs.services.audit import audit_record

    if not actor.is_superuser and not orgs_in_officer_scope(actor, OfficerRole.SYSTEM).filter(pk=org.pk).exists():
        raise OutOfScope()
    with transaction.atomic():
        org = Org.objects.select_for_update().get(pk=org.pk)
        if org.is_active == accepting:
            return org
        org.is_active = accepting
        org.save(update_fields=["is_active"])
        audit_record(actor=actor, action="org.open" if accepting else "org.close", obj=org, org=org)
    return org
