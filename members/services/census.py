"""The census (普查、清理和重新登记): parse an uploaded member list, validate it row by row, commit the valid
rows as members awaiting re-registration, invite them, and let each person claim their record online.

Validation and commit run as background jobs (members/tasks.py); a 60,000-row file would time out
a web request. Their progress lives in the cache, not the database: the commit is one transaction, so
counts written inside it would stay invisible to the polling page until the very end.
"""

import copy
import csv
import itertools
import logging
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.celery import task_send_on_commit
from kexie.errors import DomainError, OutOfScope
from kexie.excel import spreadsheet_rows
from kexie.site import site_url
from members.crypto import decrypt_id_number, encrypt_id_number, id_number_blind_index
from members.exports import census_errors_file, census_people_workbook, census_template_workbook
from members.models import CensusImport, CensusRow, Membership, Person, PersonAccess
from members.services.access import person_access_record
from members.services.memberships import LIVE_STATUSES, fellow_cap, memberships_changed_announce, org_manage_check
from members.services.numbers import member_numbers_reserve
from members.webhooks import Event, membership_event, memberships_created
from kexie.validators import (
    id_number_birth_date,
    id_number_gender,
    mask_id_number,
    validate_id_number,
    validate_mobile,
)
from orgs.models import Org
from orgs.selectors.scope import orgs_managed_by
from orgs.services.audit import audit_record
from orgs.services.progress import progress_schedule

REQUIRED_COLUMNS = ("姓名", "身份证号", "手机号码", "工作单位", "学历", "职称", "会员等级")
OPTIONAL_COLUMNS = ("邮箱",)
COLUMN_FIELDS = {
    "姓名": "name",
    "身份证号": "id_number",
    "手机号码": "mobile",
    "工作单位": "employer",
    "学历": "education",
    "职称": "title",
    "会员等级": "grade",
    "邮箱": "email",
}
# The downloadable template's example row (census_template). Uploaded unchanged, it is skipped, not imported:
# 11010519491231002X is the example number printed in GB 11643 itself.
TEMPLATE_EXAMPLE = {
    "姓名": "张三（示例，上传前请删除）",
    "身份证号": "11010519491231002X",
    "手机号码": "13800138000",
    "工作单位": "河北省某某研究所",
    "学历": "本科",
    "职称": "中级",
    "会员等级": "普通会员",
    "邮箱": "zhangsan@example.com",
}
# Rows of a census file, the header and blank lines not counted by the parser; the reader stops the file at
# MAX_ROWS + 1 sheet rows, blank ones included, so neither the worker nor the database sees more.
MAX_ROWS = 100_000
# Rows per bulk INSERT: large enough to keep round trips few, small enough for SQLite's variable limit.
BATCH = 500
PROGRESS_TTL = 60 * 60 * 6

BUSY_STATUSES = (CensusImport.Status.VALIDATING, CensusImport.Status.COMMITTING)
CENSUS_VALIDATE_TASK = "members.tasks.census_validate"
CENSUS_COMMIT_TASK = "members.tasks.census_commit"
CENSUS_INVITATIONS_TASK = "members.tasks.census_invitations_email"
CENSUS_JOBS_RESEND_TASK = "members.tasks.census_jobs_resend"
CENSUS_UPLOADS_PURGE_TASK = "members.tasks.census_uploads_purge"
JOB_TASKS = {CensusImport.Status.VALIDATING: CENSUS_VALIDATE_TASK, CensusImport.Status.COMMITTING: CENSUS_COMMIT_TASK}

logger = logging.getLogger(__name__)

EDUCATION_WORDS = {
    **{label: value for value, label in Person.Education.choices},
    # Common short forms in paper member lists, by the national classification.
    "博士": Person.Education.DOCTOR,
    "硕士": Person.Education.MASTER,
    "研究生": Person.Education.MASTER,
    "本科": Person.Education.BACHELOR,
    "大专": Person.Education.JUNIOR_COLLEGE,
    "专科": Person.Education.JUNIOR_COLLEGE,
    "中专": Person.Education.SECONDARY_VOCATIONAL,
    "中技": Person.Education.SECONDARY_VOCATIONAL,
    "中等专科": Person.Education.SECONDARY_VOCATIONAL,
    "技校": Person.Education.SECONDARY_VOCATIONAL,
    "初中": Person.Education.JUNIOR_HIGH_OR_BELOW,
    "小学": Person.Education.JUNIOR_HIGH_OR_BELOW,
}
TITLE_WORDS = {
    **{label: value for value, label in Person.Title.choices},
    "副高": Person.Title.ASSOCIATE_SENIOR,
    "正高": Person.Title.SENIOR,
    "初级职称": Person.Title.JUNIOR,
    "中级职称": Person.Title.INTERMEDIATE,
}
GRADE_WORDS = {
    **{label: value for value, label in Membership.Grade.choices},
    "学生": Membership.Grade.STUDENT,
    "普通": Membership.Grade.ORDINARY,
    "高级": Membership.Grade.SENIOR,
}


# Longest values the people table holds (Person.name, .employer, .email): a longer one is an error of its row,
# never cut short silently.
FIELD_LIMITS = {"name": 50, "employer": 100, "email": 254}
FIELD_COLUMNS = {field: column for column, field in COLUMN_FIELDS.items()}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- reading files -------------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Excel stores a mobile number typed as a number as a float; 13912345678.0 → "13912345678".
        value = int(value)
    return str(value).strip()


def census_file_rows(fh, filename: str) -> Iterator[list[str]]:
    """Rows of cells (as text) of an .xlsx or .csv file, the header first, streamed within the limits of
    kexie.excel (rows, columns, cell length, expanded size); a file beyond them is refused as a whole."""
    for row in spreadsheet_rows(fh, filename, max_rows=MAX_ROWS + 1):
        yield [_text(c) for c in row]


@dataclass
class ParsedRow:
    row_number: int
    values: dict
    errors: list[str] = field(default_factory=list)
    id_number: str = ""
    id_index: str = ""


def _header_map(header: list[str]) -> dict[str, int]:
    positions = {}
    for i, cell in enumerate(header):
        name = cell.replace(" ", "").replace("\u3000", "").replace("*", "")
        if name in COLUMN_FIELDS and name not in positions:
            positions[name] = i
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        raise DomainError(_("文件缺少必需的列：%(cols)s（第一行应为列名）") % {"cols": "、".join(missing)})
    return positions


def _is_template_example(values: dict) -> bool:
    return values["name"] == TEMPLATE_EXAMPLE["姓名"] and values["id_number"].upper() == TEMPLATE_EXAMPLE["身份证号"]


def census_template() -> bytes:
    """The member list to fill in: the expected columns, the example row, and a sheet explaining each column."""
    columns = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]
    notes = {
        "姓名": _("必填"),
        "身份证号": _("必填，18 位，末位可为 X；系统加密保存，页面只显示前 6 位和后 4 位"),
        "手机号码": _("必填，11 位；本人重新登记后用它登录"),
        "工作单位": _("必填"),
        "学历": _("必填：%(v)s") % {"v": "、".join(str(label) for label in Person.Education.labels)},
        "职称": _("必填：%(v)s") % {"v": "、".join(str(label) for label in Person.Title.labels)},
        "会员等级": _("可空（按普通会员导入）：%(v)s") % {"v": "、".join(str(label) for label in Membership.Grade.labels)},
        "邮箱": _("选填；填写后系统用邮件发送重新登记邀请"),
    }
    return census_template_workbook(
        columns=columns, example=[TEMPLATE_EXAMPLE[c] for c in columns], notes=[notes[c] for c in columns]
    )


def census_rows_parse(rows: Iterator[list[str]]) -> Iterator[ParsedRow]:
    """Check each row on its own (missing fields, ID check digit, mobile, choices). Duplicates are found
    by the caller, which sees the whole file."""
    try:
        header = next(rows)
    except StopIteration:
        raise DomainError(_("文件为空")) from None
    positions = _header_map(header)
    for offset, row in enumerate(rows, start=2):
        values = {COLUMN_FIELDS[col]: (row[i] if i < len(row) else "") for col, i in positions.items()}
        if not any(values.values()):
            continue  # blank lines at the end of a spreadsheet are not members
        if _is_template_example(values):
            continue
        if offset - 1 > MAX_ROWS:
            raise DomainError(_("文件行数超过上限 %(max)s 行，请拆分后上传") % {"max": MAX_ROWS})
        values.setdefault("email", "")
        parsed = ParsedRow(row_number=offset, values=values)
        errors = parsed.errors
        if any(_CONTROL_CHARS.search(v) for v in values.values()):
            # NUL cannot even be stored (PostgreSQL refuses it); the row is shown with the characters replaced.
            errors.append(_("含有无法识别的控制字符，请检查该行"))
            for key, value in values.items():
                values[key] = _CONTROL_CHARS.sub("\ufffd", value)
        for col in REQUIRED_COLUMNS:
            if col in ("会员等级",):
                continue
            if not values[COLUMN_FIELDS[col]]:
                errors.append(_("缺少%(col)s") % {"col": col})
        if values["id_number"]:
            try:
                parsed.id_number = validate_id_number(values["id_number"])
            except ValidationError as exc:
                errors.append(exc.messages[0])
        if values["mobile"]:
            try:
                values["mobile"] = validate_mobile(values["mobile"])
            except ValidationError as exc:
                errors.append(exc.messages[0])
        if values["education"] and values["education"] not in EDUCATION_WORDS:
            errors.append(_("学历“%(v)s”无法识别") % {"v": values["education"][:20]})
        if values["title"] and values["title"] not in TITLE_WORDS:
            errors.append(_("职称“%(v)s”无法识别") % {"v": values["title"][:20]})
        if values["grade"] and values["grade"] not in GRADE_WORDS:
            errors.append(_("会员等级“%(v)s”无法识别") % {"v": values["grade"][:20]})
        if values["email"]:
            try:
                validate_email(values["email"])
            except ValidationError:
                errors.append(_("邮箱格式不正确"))
        for field_name, limit in FIELD_LIMITS.items():
            if len(values[field_name]) > limit:
                errors.append(
                    _("%(col)s过长：不能超过 %(limit)s 个字符") % {"col": FIELD_COLUMNS[field_name], "limit": limit}
                )
        yield parsed


# --- progress ------------------------------------------------------------------------------------------------


def _progress_key(census_id: int) -> str:
    return f"census:{census_id}:progress"


def census_progress_set(census_id: int, *, phase: str, processed: int, total: int) -> None:
    progress = {"phase": phase, "processed": processed, "total": total, "at": time.time()}
    cache.set(_progress_key(census_id), progress, PROGRESS_TTL)


def census_progress_get(census_id: int) -> dict | None:
    return cache.get(_progress_key(census_id))


# --- services ------------------------------------------------------------------------------------------------


def census_import_create(*, actor, org: Org, file) -> CensusImport:
    """Store the upload and queue its validation (after commit, so the job finds the row)."""
    suffix = Path(file.name or "").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise DomainError(_("仅支持 .xlsx 或 .csv 格式的文件"))
    with transaction.atomic():
        if not actor.is_superuser and not orgs_managed_by(actor).filter(pk=org.pk).exists():
            raise OutOfScope()
        census = CensusImport.objects.create(
            org=org,
            file=file,
            original_name=Path(file.name).name[:200],
            uploaded_by=actor,
            attempts=1,
            job_sent_at=timezone.now(),
        )
        audit_record(actor=actor, action="census.upload", obj=census, org=org, data={"file": census.original_name})
        census_job_send(census)
    return census


# --- the job record: send, sweep, retry ------------------------------------------------------------------------


def census_job_send(census: CensusImport) -> None:
    """Wake a worker for the import's current job after commit. The import row (status, attempts, job_sent_at)
    is the record; if the broker is down the send is logged and the sweep sends it again."""
    task_send_on_commit(JOB_TASKS[census.status], census.pk)


def _census_heartbeat(census_id: int) -> None:
    CensusImport.objects.filter(pk=census_id).update(heartbeat_at=timezone.now())


def census_last_activity(census: CensusImport) -> datetime:
    """The last sign of life of the import's job: sent, started, or a progress count (kept in the cache)."""
    moments = [m for m in (census.job_sent_at, census.heartbeat_at) if m] or [census.created_at]
    progress = census_progress_get(census.pk) or {}
    if progress.get("at"):
        moments.append(datetime.fromtimestamp(progress["at"], tz=timezone.get_current_timezone()))
    return max(moments)


def census_job_stalled(census: CensusImport) -> bool:
    """A validation or commit that has shown no sign of life for CENSUS_JOB_STALL_SECONDS: its message was lost
    or its worker died. The page then offers 重新处理 and the sweep sends it again."""
    if census.status not in BUSY_STATUSES:
        return False
    idle = (timezone.now() - census_last_activity(census)).total_seconds()
    return idle >= settings.CENSUS_JOB_STALL_SECONDS


def _census_job_resend(census: CensusImport) -> bool:
    """Send the job again if nobody did since `census` was read: a conditional UPDATE on status and attempts,
    so two presses, two administrators or a press and the sweep send one job."""
    resent = CensusImport.objects.filter(pk=census.pk, status=census.status, attempts=census.attempts).update(
        attempts=F("attempts") + 1, job_sent_at=timezone.now()
    )
    if resent:
        census_job_send(census)
    return bool(resent)


def census_job_retry(*, actor, census: CensusImport, attempts: int) -> bool:
    """重新处理: send a stalled job again. `attempts` is what the page showed; False when the job was already
    sent again since (the second press)."""
    with transaction.atomic():
        if not actor.is_superuser and not orgs_managed_by(actor).filter(pk=census.org_id).exists():
            raise OutOfScope()
        census = CensusImport.objects.select_related("org").get(pk=census.pk)
        if census.status not in BUSY_STATUSES:
            raise DomainError(_("该名单已处理完毕，无需重新处理"))
        if census.attempts != attempts:
            return False
        if not census_job_stalled(census):
            raise DomainError(_("该名单仍在处理中，请稍候"))
        if not _census_job_resend(census):
            return False
        audit_record(actor=actor, action="census.retry", obj=census, org=census.org, data={"attempt": attempts + 1})
    return True


def census_jobs_resend() -> int:
    """Periodic sweep (members.tasks.census_jobs_resend): send again every stalled validation or
    commit, at most CENSUS_JOB_MAX_ATTEMPTS times in all; after that only 重新处理 sends it."""
    cutoff = timezone.now() - timedelta(seconds=settings.CENSUS_JOB_STALL_SECONDS)
    due = CensusImport.objects.filter(
        Q(job_sent_at__isnull=True) | Q(job_sent_at__lte=cutoff),
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lte=cutoff),
        status__in=BUSY_STATUSES,
        attempts__lt=settings.CENSUS_JOB_MAX_ATTEMPTS,
    ).order_by("pk")
    sent = 0
    for census in due:
        if census_job_stalled(census):
            with transaction.atomic():
                sent += _census_job_resend(census)
    if sent:
        logger.info("census sweep sent %s stalled job(s) again", sent)
    return sent


# --- uploads are not kept --------------------------------------------------------------------------------------


def census_upload_delete(*, census_id: int) -> bool:
    """Delete an import's uploaded file (it holds full ID numbers); the rows keep what the import needs."""
    census = CensusImport.objects.get(pk=census_id)
    name = census.file.name
    if not name:
        return False
    if not CensusImport.objects.filter(pk=census.pk, file=name).update(file="", file_deleted_at=timezone.now()):
        return False
    census.file.storage.delete(name)
    return True


def census_uploads_purge() -> int:
    """Daily: delete the files of committed imports (normally gone already) and of imports abandoned for
    CENSUS_UPLOAD_RETENTION_DAYS (never committed, or failed). Imports still being processed keep theirs."""
    cutoff = timezone.now() - timedelta(days=settings.CENSUS_UPLOAD_RETENTION_DAYS)
    done = Q(status=CensusImport.Status.COMMITTED)
    abandoned = Q(status__in=(CensusImport.Status.VALIDATED, CensusImport.Status.FAILED), created_at__lt=cutoff)
    ids = CensusImport.objects.exclude(file="").filter(done | abandoned).values_list("pk", flat=True)
    return sum(census_upload_delete(census_id=census_id) for census_id in list(ids))


def census_validate(*, census_id: int) -> CensusImport:
    """Parse and check the whole file, store one CensusRow per line with its errors. Idempotent: a rerun
    replaces the rows of an import that is still being validated. The file is streamed in chunks of BATCH
    rows, each checked and written before the next is read, so memory does not grow with the file; a file
    refused halfway (too many rows, a cell too long) leaves no row behind: it is one transaction."""
    census = CensusImport.objects.get(pk=census_id)
    if census.status != CensusImport.Status.VALIDATING:
        return census
    _census_heartbeat(census.pk)
    try:
        return _census_validate_rows(census)
    except (DomainError, csv.Error, UnicodeError) as exc:
        message = exc.message if isinstance(exc, DomainError) else _("文件内容无法解析，请确认文件未损坏且为规定格式")
        CensusImport.objects.filter(pk=census.pk, status=CensusImport.Status.VALIDATING).update(
            status=CensusImport.Status.FAILED, message=str(message)
        )
        census.refresh_from_db()
        return census
    except Exception:
        # The page polls until the job ends; a crash must end it visibly instead of spinning forever.
        CensusImport.objects.filter(pk=census.pk).update(
            status=CensusImport.Status.FAILED, message=_("处理失败，请重新上传或联系系统管理员")
        )
        raise


def _census_validate_rows(census: CensusImport) -> CensusImport:
    with transaction.atomic():
        # A job sent again while this one runs waits here, then finds the import validated and stops.
        if CensusImport.objects.select_for_update().get(pk=census.pk).status != CensusImport.Status.VALIDATING:
            census.refresh_from_db()
            return census
        CensusRow.objects.filter(census=census).delete()
        # The number of rows is known only at the end of the stream: the page shows the count read so far.
        census_progress_set(census.pk, phase="validate", processed=0, total=0)
        first_seen: dict[str, int] = {}
        first_mobile: dict[str, int] = {}
        total = errors = 0
        with census.file.open("rb") as fh:
            parsed = census_rows_parse(census_file_rows(fh, census.original_name))
            while chunk := list(itertools.islice(parsed, BATCH)):
                _rows_duplicates_check(chunk, first_seen, first_mobile)
                _rows_existing_check(chunk)
                CensusRow.objects.bulk_create([_census_row_new(census, row) for row in chunk])
                total += len(chunk)
                errors += sum(1 for row in chunk if row.errors)
                census_progress_set(census.pk, phase="validate", processed=total, total=0)
        errors += _fellow_rows_refuse(census, valid_rows=total - errors)
        CensusImport.objects.filter(pk=census.pk).update(
            status=CensusImport.Status.VALIDATED, total_rows=total, error_rows=errors, valid_rows=total - errors, message=""
        )
    census_progress_set(census.pk, phase="validate", processed=total, total=total)
    census.refresh_from_db()
    return census


def _rows_duplicates_check(chunk: list[ParsedRow], first_seen: dict[str, int], first_mobile: dict[str, int]) -> None:
    """Duplicates inside the file: `first_seen` and `first_mobile` carry what earlier chunks held (a blind index
    and a mobile per row, about 200 bytes each, the only state that grows with the file)."""
    for row in chunk:
        if row.id_number:
            row.id_index = id_number_blind_index(row.id_number)
            if row.id_index in first_seen:
                row.errors.append(_("与第 %(n)s 行身份证号重复") % {"n": first_seen[row.id_index]})
            else:
                first_seen[row.id_index] = row.row_number
        mobile = row.values["mobile"]
        if mobile and not row.errors:
            if mobile in first_mobile:
                row.errors.append(_("与第 %(n)s 行手机号码重复") % {"n": first_mobile[mobile]})
            else:
                first_mobile[mobile] = row.row_number


def _rows_existing_check(chunk: list[ParsedRow]) -> None:
    """People already in the system (by the ID blind index) and mobiles already bound to an account."""
    indices = [row.id_index for row in chunk if row.id_index and not row.errors]
    existing = set(Person.objects.filter(id_number_index__in=indices).values_list("id_number_index", flat=True))
    mobiles = [row.values["mobile"] for row in chunk if row.values["mobile"] and not row.errors]
    taken_mobiles = set(get_user_model().objects.filter(mobile__in=mobiles).values_list("mobile", flat=True))
    for row in chunk:
        if row.id_index in existing and not row.errors:
            row.errors.append(_("该身份证号的人员已在系统中，无需导入"))
        elif row.values["mobile"] in taken_mobiles and not row.errors:
            row.errors.append(_("该手机号码已绑定其他账号"))


def _census_row_new(census: CensusImport, row: ParsedRow) -> CensusRow:
    v = row.values
    return CensusRow(
        census=census,
        row_number=row.row_number,
        name=v["name"][:100],
        id_number_masked=mask_id_number(v["id_number"])[:18] if v["id_number"] else "",
        id_number_encrypted=encrypt_id_number(row.id_number) if row.id_number and not row.errors else "",
        id_number_index=row.id_index if not row.errors else "",
        mobile=v["mobile"][:32],
        employer=v["employer"][:200],
        education=v["education"][:32],
        title=v["title"][:32],
        grade=v["grade"][:32],
        email=v["email"][:254],
        errors=[str(e) for e in row.errors],
    )


def _fellow_rows_refuse(census: CensusImport, *, valid_rows: int) -> int:
    """会士 rows beyond the org's 1% cap (counting the members this file brings) are refused, not downgraded.
    Runs on the stored rows once the whole file is in, as the cap depends on its size. Returns the rows refused."""
    live = Membership.objects.filter(org=census.org, status__in=LIVE_STATUSES)
    places = fellow_cap(live.count() + valid_rows) - live.filter(grade=Membership.Grade.FELLOW).count()
    fellow_words = [word for word, grade in GRADE_WORDS.items() if grade == Membership.Grade.FELLOW]
    fellows = CensusRow.objects.filter(census=census, errors=[], grade__in=fellow_words).order_by("row_number")
    over = list(fellows.values_list("pk", flat=True)[max(places, 0) :])
    message = _("会士名额已满（会士不得超过个人会员数的1%），请改为其他等级")
    for start in range(0, len(over), BATCH):
        CensusRow.objects.filter(pk__in=over[start : start + BATCH]).update(errors=[message])
    return len(over)


def census_commit_start(*, actor, census: CensusImport) -> CensusImport:
    with transaction.atomic():
        census = CensusImport.objects.select_for_update().select_related("org").get(pk=census.pk)
        if not actor.is_superuser and not orgs_managed_by(actor).filter(pk=census.org_id).exists():
            raise OutOfScope()
        if census.status != CensusImport.Status.VALIDATED:
            raise DomainError(_("该名单当前状态为“%(s)s”，不能导入") % {"s": census.get_status_display()})
        if census.valid_rows == 0:
            raise DomainError(_("名单中没有可导入的有效行"))
        census.status = CensusImport.Status.COMMITTING
        census.message = ""
        census.attempts, census.job_sent_at, census.heartbeat_at = 1, timezone.now(), None
        census.save(update_fields=["status", "message", "attempts", "job_sent_at", "heartbeat_at"])
        audit_record(actor=actor, action="census.commit", obj=census, org=census.org, data={"rows": census.valid_rows})
        census_job_send(census)
    census_progress_set(census.pk, phase="commit", processed=0, total=census.valid_rows)
    return census


def census_commit(*, census_id: int) -> CensusImport:
    """Create the people and their memberships (待重新登记) for every valid row, all in one transaction:
    either the whole list is in, or nothing is. Idempotent: only an import in 正在导入 is processed; a job sent
    again while one runs waits for the import's row lock and then finds it committed."""
    _census_heartbeat(census_id)
    try:
        with transaction.atomic():
            census = CensusImport.objects.select_for_update().select_related("org").get(pk=census_id)
            if census.status != CensusImport.Status.COMMITTING:
                return census
            imported = _census_commit_rows(census)
            census.status = CensusImport.Status.COMMITTED
            census.imported_rows = imported
            census.committed_at = timezone.now()
            census.save(update_fields=["status", "imported_rows", "committed_at"])
            task_send_on_commit(CENSUS_INVITATIONS_TASK, census_id)
            # The upload holds full ID numbers; the rows now hold them encrypted.
            transaction.on_commit(lambda: census_upload_delete(census_id=census_id), robust=True)
            org_id = census.org_id
            transaction.on_commit(lambda: progress_schedule(org_ids=[org_id]))
    except DomainError as exc:
        # Back to the preview with the reason; nothing of the list was written.
        CensusImport.objects.filter(pk=census_id).update(status=CensusImport.Status.VALIDATED, message=str(exc.message))
    census = CensusImport.objects.get(pk=census_id)
    census_progress_set(census.pk, phase="commit", processed=census.imported_rows, total=census.valid_rows)
    return census


def _census_commit_rows(census: CensusImport) -> int:
    """Import the valid rows BATCH at a time (read, create people and memberships, link), so a 60,000-row
    list never holds more than one chunk of model instances."""
    org = census.org
    valid = CensusRow.objects.filter(census=census, errors=[])
    # People may have registered themselves since the preview; they are left out, not duplicated.
    valid.filter(id_number_index__in=Person.objects.values("id_number_index")).update(
        errors=[_("该身份证号的人员已在系统中，无需导入")]
    )
    total = valid.count()
    if not total:
        raise DomainError(_("名单中没有可导入的有效行"))

    today = timezone.localdate()
    numbers = member_numbers_reserve(org=org, year=today.year, count=total)
    site = site_url()
    done = last_row = 0
    while chunk := list(valid.filter(row_number__gt=last_row).order_by("row_number")[:BATCH]):
        people = []
        for r in chunk:
            id_number = decrypt_id_number(r.id_number_encrypted)
            people.append(
                Person(
                    name=r.name,
                    id_number_encrypted=r.id_number_encrypted,
                    id_number_index=r.id_number_index,
                    id_number_masked=r.id_number_masked,
                    birth_date=id_number_birth_date(id_number),
                    gender=id_number_gender(id_number),
                    mobile=r.mobile,
                    email=r.email,
                    employer=r.employer,
                    education=EDUCATION_WORDS.get(r.education, ""),
                    title=TITLE_WORDS.get(r.title, ""),
                )
            )
        people = Person.objects.bulk_create(people)
        memberships = Membership.objects.bulk_create(
            [
                Membership(
                    person=p,
                    org=org,
                    level=org.level,
                    number=numbers[done + i],
                    grade=GRADE_WORDS.get(r.grade, Membership.Grade.ORDINARY),
                    status=Membership.Status.PENDING_REREGISTRATION,
                    origin=Membership.Origin.CENSUS,
                    joined_on=today,
                )
                for i, (p, r) in enumerate(zip(people, chunk))
            ]
        )
        memberships_created(org=org, memberships=memberships)
        for r, m in zip(chunk, memberships):
            r.membership = m
            r.invite_token = secrets.token_urlsafe(24)
            link = site + reverse("members:claim", args=[r.invite_token])
            r.sms_text = _(
                "【%(org)s】%(name)s您好：您已列入本会会员名册（编号 %(number)s），请于30日内访问 %(link)s 核对信息并完成重新登记。"
            ) % {"org": org.name, "name": r.name, "number": m.number, "link": link}
        _census_rows_link(chunk)
        done += len(chunk)
        last_row = chunk[-1].row_number
        census_progress_set(census.pk, phase="commit", processed=done, total=total)
    return done


def _census_rows_link(chunk: list[CensusRow]) -> None:
    """Store each row's membership, invitation token and SMS text.

    Django's bulk_update builds one CASE expression per field and row, which made a 60,000-row commit take
    minutes. PostgreSQL updates the chunk in one statement from a VALUES list; elsewhere the rows are
    deleted and re-inserted with the same ids.
    """
    if connection.vendor == "postgresql":
        values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
        params = [v for r in chunk for v in (r.pk, r.membership.pk, r.invite_token, r.sms_text)]
        table = CensusRow._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS r SET membership_id = v.membership_id, invite_token = v.invite_token, "
                f"sms_text = v.sms_text FROM (VALUES {values}) AS v(id, membership_id, invite_token, sms_text) "
                "WHERE r.id = v.id",
                params,
            )
        return
    CensusRow.objects.filter(pk__in=[r.pk for r in chunk]).delete()
    CensusRow.objects.bulk_create(chunk)


def census_invitations_email(*, census_id: int) -> int:
    """Email the invitation to every imported person with an address who has not been emailed. Idempotent."""
    from django.core.mail import EmailMessage, get_connection

    census = CensusImport.objects.select_related("org").get(pk=census_id)
    due = (
        CensusRow.objects.filter(census=census, membership__isnull=False, emailed_at__isnull=True, claimed_at__isnull=True)
        .exclude(email="")
        .order_by("row_number")
        .only("pk", "row_number", "email", "sms_text")
    )
    if not due.exists():
        return 0
    subject = _("%(org)s会员重新登记邀请") % {"org": census.org.name}
    sent = last_row = 0
    with get_connection() as connection:
        # One chunk of rows in memory at a time: a 60,000-person list is mailed in BATCH-sized pieces.
        while chunk := list(due.filter(row_number__gt=last_row)[:BATCH]):
            messages = [EmailMessage(subject, r.sms_text, settings.DEFAULT_FROM_EMAIL, [r.email]) for r in chunk]
            connection.send_messages(messages)
            now = timezone.now()
            CensusRow.objects.filter(pk__in=[r.pk for r in chunk]).update(emailed_at=now)
            sent += len(chunk)
            last_row = chunk[-1].row_number
    return sent


def census_row_for_token(token: str) -> CensusRow | None:
    if not token:
        return None
    return (
        CensusRow.objects.select_related("membership__org", "membership__person", "census")
        .filter(invite_token=token, membership__isnull=False)
        .first()
    )


def census_claim(
    *,
    token: str,
    id_number: str,
    password: str,
    mobile: str,
    name: str,
    employer: str,
    education: str,
    title: str,
    email: str = "",
):
    """Re-registration: the invited person proves who they are with their ID number, sets a password (the
    account signs in with their mobile), confirms or corrects their data, and their membership becomes active."""
    User = get_user_model()
    with transaction.atomic():
        row = CensusRow.objects.select_for_update().filter(invite_token=token, membership__isnull=False).first()
        if row is None:
            raise DomainError(_("登记链接无效"))
        membership = Membership.objects.select_for_update().select_related("person", "org").get(pk=row.membership_id)
        person = membership.person
        if row.claimed_at is not None or person.user_id is not None:
            raise DomainError(_("您已完成重新登记，请直接登录"))
        if membership.status != Membership.Status.PENDING_REREGISTRATION:
            raise DomainError(_("该会员记录已不在待重新登记状态，请联系所在组织管理员"))
        try:
            normalized = validate_id_number(id_number)
        except ValidationError as exc:
            raise DomainError(exc.messages[0]) from None
        if id_number_blind_index(normalized) != person.id_number_index:
            raise DomainError(_("身份证号与名单不一致，请核对；如名单有误请联系所在组织管理员"))
        try:
            mobile = validate_mobile(mobile)
        except ValidationError as exc:
            raise DomainError(exc.messages[0]) from None
        if User.objects.filter(username=mobile).exists() or User.objects.filter(mobile=mobile).exists():
            raise DomainError(_("该手机号码已绑定其他账号"))
        user = User(username=mobile, mobile=mobile, full_name=name, email=email)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        person.user = user
        person.name, person.mobile, person.email, person.employer = name, mobile, email, employer
        person.education, person.title = education, title
        person.education_unconfirmed = False
        person.save(
            update_fields=[
                "user", "name", "mobile", "email", "employer", "education", "education_unconfirmed", "title", "updated_at"
            ]
        )
        previous = copy.copy(membership)
        membership.status = Membership.Status.ACTIVE
        # Re-registration counts as this year's registration (会籍年度).
        membership.valid_through = max(membership.valid_through or 0, timezone.localdate().year)
        membership.certificate_issued_on = timezone.localdate()
        membership.save(update_fields=["status", "valid_through", "certificate_issued_on", "updated_at"])
        row.claimed_at = timezone.now()
        row.save(update_fields=["claimed_at"])
        audit_record(actor=user, action="census.reregister", obj=membership, org=membership.org)
        membership_event(
            event=Event.MEMBERSHIP_CHANGED,
            membership=membership,
            changes={"status": [Membership.Status.PENDING_REREGISTRATION, Membership.Status.ACTIVE]},
        )
        # An active member owes the year's fee, one still to re-register does not: a counted change.
        memberships_changed_announce([(previous, membership)])
    return user


def census_errors_export(*, actor, census, error_rows, fmt: str = "xlsx") -> bytes:
    with transaction.atomic():
        content = census_errors_file(error_rows, fmt=fmt)
        person_access_record(
            viewer=actor,
            person_ids=error_rows.filter(membership__isnull=False).values_list("membership__person_id", flat=True),
            org=census.org, what=PersonAccess.What.EXPORT, detail=_("普查错误报告"),
        )
        audit_record(actor=actor, action="export.census_errors", obj=census, org=census.org, data={"format": fmt})
    return content


def census_invitations_resend(*, actor, org: Org, rows) -> tuple[int, int]:
    """Send the re-registration invitation again to the people among `rows` (imported by `org` or its subtree)
    who have not answered it: the mail job emails those with an address; the others are counted, their SMS
    text is in the exported list. Returns (emailed, SMS only)."""
    with transaction.atomic():
        org_manage_check(actor, org)
        pending = rows.unanswered().filter(census__org__in=Org.objects.in_subtree(org))
        # The lock keeps a re-registration from finishing between the count and the reset below.
        ids = list(pending.select_for_update(of=("self",)).values_list("pk", flat=True))
        with_email = CensusRow.objects.filter(pk__in=ids).exclude(email="")
        census_ids = sorted(set(with_email.values_list("census_id", flat=True)))
        # The mail job sends every unanswered invitation whose email has not gone out: clearing the stamp
        # queues it again, and the job stamps it anew when it is sent.
        emailed = with_email.update(emailed_at=None)
        audit_record(
            actor=actor, action="census.resend", obj=org, org=org, data={"rows": len(ids), "emailed": emailed}
        )
        for census_id in census_ids:
            task_send_on_commit(CENSUS_INVITATIONS_TASK, census_id)
    return emailed, len(ids) - emailed


def census_people_export(*, actor, org: Org, rows, filters: dict) -> bytes:
    """The follow-up list as filtered on screen, with masked ID numbers and each person's SMS text."""
    # Built before the transaction, so a view that allows it reads the rows from the replica
    # (kexie.db_routing); the file is returned only once its access and audit rows are committed.
    content, count = census_people_workbook(rows)
    with transaction.atomic():
        person_access_record(
            viewer=actor, person_ids=rows.values_list("membership__person_id", flat=True), org=org,
            what=PersonAccess.What.EXPORT, detail=_("普查跟进名单"),
        )
        audit_record(
            actor=actor, action="export.census_people", obj=org, org=org, data={"rows": count, "filters": filters}
        )
    return content
