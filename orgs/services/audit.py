"""The audit trail: one append-only row per write, in the writer's transaction, chained by hash; and its archival.

Lock order: the chain lock is taken by audit_record, normally the last write of a service, and held until the
caller's transaction ends, so every audit row of the system is linked in commit order. A service that locks
further rows after writing an audit row would wait on them while holding the chain: write the audit row last.
"""

import gzip
import hashlib
import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.errors import DomainError
from kexie.locks import transaction_lock
from kexie.request_context import current_client_ip, current_credential
from orgs.models import AuditArchive, AuditEvent, Org

# Arbitrary constant naming "the audit chain" among PostgreSQL advisory locks.
AUDIT_CHAIN_LOCK_KEY = 0x61756469
# The legal floor (等保 2.0 level 3: audit records kept at least six months); the PostgreSQL trigger holds it too.
AUDIT_RETENTION_FLOOR_DAYS = 180


def audit_chain_lock() -> None:
    """Serialise chain writers until the transaction ends. On SQLite the database lock already does."""
    transaction_lock(AUDIT_CHAIN_LOCK_KEY)


def audit_chain_head() -> str:
    """The hash the next row links to: the newest row's, else the newest archive's last, else the genesis."""
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    if last is None:
        last = AuditArchive.objects.order_by("-last_id").values_list("last_hash", flat=True).first()
    return last or AuditEvent.GENESIS


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    org: Org | None = None,
    comment: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Append an audit row in the caller's transaction; the IP comes from the current request, if any, and
    so does the service token an API call acted through."""
    credential = current_credential()
    if credential:
        data = {**(data or {}), "credential": credential}
    # No savepoint: a failed audit row must fail the caller's whole write anyway.
    with transaction.atomic(savepoint=False):
        audit_chain_lock()
        event = AuditEvent(
            actor=actor if (actor is not None and actor.is_authenticated) else None,
            ip=current_client_ip(),
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            org=org,
            comment=comment,
            # Stored as JSON and hashed as read back: round-trip it first so both agree.
            data=json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)),
            at=timezone.now(),
        )
        event.prev_hash = audit_chain_head()
        event.hash = event.chain_hash(event.prev_hash)
        event.save()
    return event


# --- archival ---------------------------------------------------------------------------------------------


def audit_retention_cutoff():
    return timezone.now() - timedelta(days=max(settings.AUDIT_RETENTION_DAYS, AUDIT_RETENTION_FLOOR_DAYS))


def audit_archivable(cutoff=None) -> models.QuerySet:
    """The oldest rows up to (not including) the first one younger than the cutoff: the chain's archivable
    prefix. A row written later with an older time (a clock step back) stays with the rows after it."""
    cutoff = cutoff or audit_retention_cutoff()
    first_young = AuditEvent.objects.filter(at__gte=cutoff).order_by("id").values_list("id", flat=True).first()
    rows = AuditEvent.objects.filter(at__lt=cutoff)
    return rows.filter(id__lt=first_young) if first_young is not None else rows


def _archive_dir() -> Path:
    path = Path(settings.AUDIT_ARCHIVE_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def audit_archive(*, actor=None, dry_run: bool = False) -> AuditArchive | int:
    """Write the rows older than AUDIT_RETENTION_DAYS to a gzip file (JSON lines, hashes included, so the file
    verifies on its own), record the archive, then delete exactly those rows. Returns the archive, or with
    `dry_run` the number of rows that would go. Rows younger than the retention can never be removed: the
    cutoff has a floor of 180 days here and in the PostgreSQL trigger."""
    cutoff = audit_retention_cutoff()
    with transaction.atomic():
        audit_chain_lock()  # no row joins or leaves the chain while its prefix is cut off
        rows = audit_archivable(cutoff).order_by("id")
        count = rows.count()
        if dry_run:
            return count
        if not count:
            raise DomainError(_("没有超过保存期限的审计记录"))
        events = list(rows)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        path = _archive_dir() / f"audit-{events[0].pk}-{events[-1].pk}-{stamp}.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            for event in events:
                fh.write(json.dumps(audit_event_as_dict(event), ensure_ascii=False, sort_keys=True) + "\n")
        with open(path, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        archive = AuditArchive.objects.create(
            created_by=actor, first_id=events[0].pk, last_id=events[-1].pk, row_count=count, cutoff=cutoff,
            first_prev_hash=events[0].prev_hash, last_hash=events[-1].hash, file_name=path.name,
            file_sha256=digest,
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Names this archive to the trigger for the rest of the transaction only.
                cursor.execute("SELECT set_config('kexie.audit_archive_id', %s, true)", [str(archive.pk)])
            cursor.execute(
                f"DELETE FROM {AuditEvent._meta.db_table} WHERE id BETWEEN %s AND %s AND at < %s",
                [archive.first_id, archive.last_id, cutoff],
            )
            deleted = cursor.rowcount
        if deleted != count:
            raise DomainError(_("审计记录在归档期间发生变化，已取消归档"))
        # The archival itself is a row of the chain that remains.
        audit_record(actor=actor, action="audit.archive", obj=archive,
                     data={"rows": count, "first_id": archive.first_id, "last_id": archive.last_id,
                           "file": path.name, "sha256": digest})
    return archive


def audit_event_as_dict(event: AuditEvent) -> dict:
    return {
        "id": event.pk, "at": event.at.isoformat(), "actor_id": event.actor_id, "ip": event.ip,
        "action": event.action, "object_type": event.object_type, "object_id": event.object_id,
        "org_id": event.org_id, "comment": event.comment, "data": event.data, "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def audit_export_record(*, actor, org: Org | None, filters: dict, rows: int, file_format: str) -> AuditEvent:
    """Exporting the trail is itself audited (who, which filters, how many rows)."""
    return audit_record(actor=actor, action="export.audit", obj=actor, org=org,
                        data={"filters": filters, "rows": rows, "format": file_format})
