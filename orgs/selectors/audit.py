"""Reads of the audit trail: the console's scoped, filtered list and the verification of the hash chain."""

import gzip
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from orgs import permissions
from orgs.models import AuditArchive, AuditEvent, OfficerRole, Org
from orgs.selectors.scope import orgs_in_officer_scope, orgs_managed_by


def audit_orgs_readable_by(user) -> QuerySet[Org]:
    """Whose audit rows the user may read: a 审计管理员's subtree, an administrator's managed subtree."""
    if user.is_superuser:
        return Org.objects.all()
    audited = orgs_in_officer_scope(user, OfficerRole.AUDIT).values("pk")
    managed = orgs_managed_by(user).values("pk")
    return Org.objects.filter(Q(pk__in=audited) | Q(pk__in=managed))


def reads_whole_trail(user) -> bool:
    """Rows not tied to an organisation (registrations, profiles, the trail's own archival) belong to the whole
    province: only a superuser or a 审计管理员 over a root organisation reads them."""
    return user.is_superuser or permissions.orgs_with_officer_role(user, OfficerRole.AUDIT).filter(
        parent__isnull=True
    ).exists()


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    scope = Q(org__in=audit_orgs_readable_by(user).values("pk"))
    if reads_whole_trail(user):
        scope |= Q(org__isnull=True)
    return AuditEvent.objects.filter(scope)


def audit_events_filtered(user, *, filters: dict) -> QuerySet[AuditEvent]:
    """The console's list: the user's scope narrowed by time, actor, action, organisation (with its subtree)
    and object, newest first."""
    events = audit_events_visible_to(user)
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        events = events.filter(at__gte=datetime.combine(filters["date_from"], time.min, tzinfo=tz))
    if filters.get("date_to"):
        events = events.filter(at__lte=datetime.combine(filters["date_to"], time.max, tzinfo=tz))
    if filters.get("actor"):
        events = events.filter(actor__username=filters["actor"])
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("org"):
        events = events.filter(org__in=Org.objects.in_subtree(filters["org"]).values("pk"))
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"])
    if filters.get("object_id"):
        events = events.filter(object_id=filters["object_id"])
    return events.select_related("actor", "org").order_by("-at", "-id")


def actor_display(actor) -> str:
    """Who acted, as the audit console shows it: the username, with an applicant's mobile number masked (the
    console is for the 审计管理员, who reads no personal data)."""
    if actor is None:
        return _("系统")
    username = actor.username
    if username.isdigit() and len(username) == 11:
        return f"{username[:3]}****{username[-4:]}"
    return username


# --- verification of the chain ------------------------------------------------------------------------------


@dataclass
class ChainBreak:
    event_id: int | None
    reason: str
    archive: str = ""


@dataclass
class ChainReport:
    rows_checked: int = 0
    archives_checked: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> ChainBreak | None:
        return self.breaks[0] if self.breaks else None


def _verify_archive_file(archive: AuditArchive) -> str:
    """'' when the file is there, unchanged and internally chained; else why not."""
    path = Path(settings.AUDIT_ARCHIVE_DIR) / archive.file_name
    if not path.exists():
        return _("归档文件不存在")
    with open(path, "rb") as fh:
        if hashlib.file_digest(fh, "sha256").hexdigest() != archive.file_sha256:
            return _("归档文件的 SHA-256 与归档记录不符")
    prev = archive.first_prev_hash
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            event = AuditEvent(
                at=datetime.fromisoformat(row["at"]), actor_id=row["actor_id"], ip=row["ip"], action=row["action"],
                object_type=row["object_type"], object_id=row["object_id"], org_id=row["org_id"],
                comment=row["comment"], data=row["data"],
            )
            if row["prev_hash"] != prev or event.chain_hash(prev) != row["hash"]:
                return _("归档文件中第 %(id)s 号记录校验失败") % {"id": row["id"]}
            prev = row["hash"]
    if prev != archive.last_hash:
        return _("归档文件末条记录与归档记录不符")
    return ""


def audit_chain_verify(*, check_files: bool = True, stop_at_first: bool = True) -> ChainReport:
    """Walk the archives and then every row in id order. A row whose content no longer gives its hash was
    altered; a row whose link does not name the previous row's hash follows a removed or inserted row."""
    report = ChainReport()
    expected = AuditEvent.GENESIS
    for archive in AuditArchive.objects.order_by("last_id"):
        report.archives_checked += 1
        if archive.first_prev_hash != expected:
            report.breaks.append(ChainBreak(None, _("归档之间的衔接被破坏"), archive.file_name))
        problem = _verify_archive_file(archive) if check_files else ""
        if problem:
            report.breaks.append(ChainBreak(None, problem, archive.file_name))
        expected = archive.last_hash
        if report.breaks and stop_at_first:
            return report
    rows = AuditEvent.objects.order_by("id").only(
        "id", "at", "actor_id", "ip", "action", "object_type", "object_id", "org_id", "comment", "data",
        "prev_hash", "hash",
    )
    for event in rows.iterator(chunk_size=5000):
        report.rows_checked += 1
        if event.prev_hash != expected:
            report.breaks.append(ChainBreak(event.pk, _("与上一条记录的链接断开（之前的记录被删除、插入或改动）")))
        elif event.chain_hash(event.prev_hash) != event.hash:
            report.breaks.append(ChainBreak(event.pk, _("记录内容与校验值不符（记录被改动）")))
        if report.breaks and stop_at_first:
            return report
        expected = event.hash
    return report
