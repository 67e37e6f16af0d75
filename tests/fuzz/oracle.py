"""Sending one hostile request and judging the answer.

Each request runs inside a savepoint that is rolled back afterwards, so every example starts from the same
database and an accepted request cannot use up the objects later examples need. Within the savepoint:

- no 5xx and no exception;
- a refused request (HTTP 4xx, a form re-rendered with errors, or an error message and no success
  message) changes no table. Writes are recorded statement by statement (INSERT/UPDATE/DELETE that touched a
  row, minus those undone by a rolled-back savepoint) and row counts of every table are compared. Not counted:
  sessions (signing in and the idle timer), django-axes' access-attempt tables and audit rows whose action is
  an access record (ACCESS_RECORD_ACTIONS) — records of the refusal itself. Any other audit row written for a
  refused request is a write;
- no response (body, any header, text inside an xlsx or PDF) contains the full ID number of anyone stored;
- no typed password comes back;
- every redirect stays on this site.
"""

import io
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from django.contrib.messages import constants as message_levels
from django.db import connection, transaction
from django.forms import BaseForm
from django.test import TestCase

EXEMPT_TABLE_PREFIXES = ("django_session", "axes_")
# Audit actions that record an access or a refusal rather than a change (none are written today).
ACCESS_RECORD_ACTIONS = frozenset({"access.denied", "login.failed", "ratelimit.exceeded"})

_WRITE_RE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?([\w.]+)"?', re.IGNORECASE
)
_SAVEPOINT_RE = re.compile(r'^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\s+"?(\w+)"?', re.IGNORECASE)
ID_CANDIDATE_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


@dataclass
class HostileRequest:
    method: str
    path: str  # already percent-encoded
    query: list = field(default_factory=list)  # [(key, str | bytes)]
    body: list = field(default_factory=list)
    files: list = field(default_factory=list)  # [(key, filename, bytes, content_type)]
    enforce_csrf: bool = False
    headers: dict = field(default_factory=dict)
    raw_body: bytes | None = None  # sent as it is (a JSON document, malformed or not), with raw_type
    raw_type: str = "application/json"

    def describe(self) -> str:
        def short(v):
            text = repr(v)
            return text if len(text) <= 60 else text[:57] + "...'"

        parts = [f"{self.method} {self.path}"]
        if self.query:
            parts.append("query=" + ", ".join(f"{k}={short(v)}" for k, v in self.query))
        if self.body:
            parts.append("body=" + ", ".join(f"{k}={short(v)}" for k, v in self.body))
        if self.files:
            parts.append("files=" + ", ".join(f"{k}={short(n)}({len(c)} B)" for k, n, c, _ in self.files))
        if self.raw_body is not None:
            parts.append(f"{self.raw_type} body={self.raw_body[:120]!r}{'...' if len(self.raw_body) > 120 else ''}")
        if self.enforce_csrf:
            parts.append("without CSRF token")
        if self.headers:
            parts.append("headers=" + ", ".join(f"{k}={short(v)}" for k, v in self.headers.items()))
        return " | ".join(parts)


def _raw(value) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


def urlencode_raw(pairs) -> str:
    return "&".join(f"{quote(_raw(k), safe='')}={quote(_raw(v), safe='')}" for k, v in pairs)


def multipart(pairs, files) -> tuple[bytes, str]:
    boundary = "fuzz" + uuid.uuid4().hex
    out = io.BytesIO()
    for key, value in pairs:
        out.write(f"--{boundary}\r\n".encode())
        out.write(b'Content-Disposition: form-data; name="' + _raw(key).replace(b'"', b"%22") + b'"\r\n\r\n')
        out.write(_raw(value) + b"\r\n")
    for key, filename, content, content_type in files:
        out.write(f"--{boundary}\r\n".encode())
        out.write(
            b'Content-Disposition: form-data; name="' + _raw(key) + b'"; filename="'
            + _raw(filename).replace(b'"', b"%22") + b'"\r\n'
        )
        out.write(f"Content-Type: {content_type}\r\n\r\n".encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def send(client, req: HostileRequest):
    path = req.path + ("?" + urlencode_raw(req.query) if req.query else "")
    extra = dict(req.headers)
    if req.raw_body is not None:
        data, content_type = req.raw_body, req.raw_type
    elif req.files:
        data, content_type = multipart(req.body, req.files)
    elif req.body:
        data, content_type = urlencode_raw(req.body).encode("ascii"), "application/x-www-form-urlencoded"
    else:
        data, content_type = b"", "application/octet-stream"
    return client.generic(req.method, path, data=data, content_type=content_type, **extra)


class WriteRecorder:
    """Rows written by the statements of one request, net of savepoints rolled back."""

    def __init__(self):
        self.writes: list[tuple[str, str]] = []
        self._marks: list[tuple[str, int]] = []

    def __call__(self, execute, sql, params, many, context):
        savepoint = _SAVEPOINT_RE.match(sql)
        if savepoint:
            verb, name = savepoint.group(1).upper(), savepoint.group(2)
            if verb == "SAVEPOINT":
                self._marks.append((name, len(self.writes)))
            elif verb == "ROLLBACK TO SAVEPOINT":
                for mark_name, size in reversed(self._marks):
                    if mark_name == name:
                        del self.writes[size:]
                        break
            else:
                for i in range(len(self._marks) - 1, -1, -1):
                    if self._marks[i][0] == name:
                        del self._marks[i:]
                        break
        result = execute(sql, params, many, context)
        write = _WRITE_RE.match(sql)
        # An INSERT ... RETURNING reports its row count only once its rows are fetched: count it as a write.
        if write and (context["cursor"].rowcount != 0 or "RETURNING" in sql.upper()):
            self.writes.append((write.group(1).lower(), " ".join(sql.split())[:160]))
        return result


def _exempt(table: str) -> bool:
    return table.startswith(EXEMPT_TABLE_PREFIXES)


_COUNT_SQL = None


def row_counts() -> dict[str, int]:
    global _COUNT_SQL
    if _COUNT_SQL is None:
        tables = [t for t in connection.introspection.table_names() if not _exempt(t)]
        qn = connection.ops.quote_name
        _COUNT_SQL = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM {qn(t)}" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL)
        return dict(cursor.fetchall())


def _contexts(response):
    context = getattr(response, "context", None)
    if context is None:
        return []
    return list(context) if isinstance(context, list) else [context]


def bound_forms(response) -> list[BaseForm]:
    found = []
    for ctx in _contexts(response):
        values = ctx.flatten().values() if hasattr(ctx, "flatten") else ctx.values()
        for value in values:
            if isinstance(value, BaseForm) and value.is_bound and all(value is not f for f in found):
                found.append(value)
    return found


def queued_messages(response) -> list:
    storage = getattr(getattr(response, "wsgi_request", None), "_messages", None)
    return list(getattr(storage, "_queued_messages", []) or [])


def refusal(response) -> str | None:
    """Why the request was refused, or None when it was accepted."""
    if response.status_code >= 400:
        return f"HTTP {response.status_code}"
    for form in bound_forms(response):
        if form.errors:
            return f"{type(form).__name__} errors {dict(form.errors)}"
    levels = {m.level for m in queued_messages(response)}
    if message_levels.ERROR in levels and message_levels.SUCCESS not in levels:
        return "error message"
    for ctx in _contexts(response):
        values = ctx.flatten() if hasattr(ctx, "flatten") else ctx
        if values.get("error"):
            return f"error {values.get('error')}"
    return None


def response_text(response) -> str:
    """Everything a client receives, as text: headers, body, and the text inside xlsx and PDF files."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    parts = [f"{k}: {v}" for k, v in response.items()]
    content_type = response.get("Content-Type", "")
    if content[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as z:
                parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        except zipfile.BadZipFile:
            parts.append(content.decode("utf-8", "replace"))
    elif content[:5] == b"%PDF-" or "pdf" in content_type:
        from pypdf import PdfReader

        try:
            parts += [page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages]
        except Exception:  # noqa: BLE001 - an unreadable PDF is scanned as raw bytes
            parts.append(content.decode("latin-1"))
    else:
        parts.append(content.decode("utf-8", "replace"))
    return "\n".join(parts)


def _normal_ids(values) -> set[str]:
    found = set()
    for value in values:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        found |= {c.upper() for c in ID_CANDIDATE_RE.findall(text)}
    return found


def leaked_id_numbers(text: str, known: set[str], req: "HostileRequest | None" = None) -> list[str]:
    """Full ID numbers of stored people (or census rows) found in `text`.

    A value the request itself typed into an ordinary text field and that comes back is what was typed, not
    stored data; typed into an ID-number field it must never come back.
    """
    from django.core.exceptions import ValidationError

    from members.crypto import id_number_blind_index
    from members.models import CensusRow, Person
    from kexie.validators import validate_id_number

    pairs = (req.query + req.body) if req else []
    typed = _normal_ids(v for _, v in pairs)
    typed_as_id = _normal_ids(v for k, v in pairs if "id_number" in str(k))
    found = []
    for candidate in set(ID_CANDIDATE_RE.findall(text)):
        normal = candidate.upper()
        if normal in typed and normal not in typed_as_id:
            continue
        if normal in known:
            found.append(candidate)
            continue
        try:
            validate_id_number(normal)
        except ValidationError:
            continue
        index = id_number_blind_index(normal)
        if Person.objects.filter(id_number_index=index).exists() or CensusRow.objects.filter(id_number_index=index).exists():
            found.append(candidate)
    return found


def redirect_problem(response) -> str | None:
    """A redirect must stay on this site and carry no control characters (header splitting)."""
    if response.status_code not in (301, 302, 303, 307, 308):
        return None
    location = response.get("Location", "")
    parts = urlsplit(location)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return f"redirects off the site to {location[:120]!r}"
    if location.startswith(("//", "/\\", "\\")):
        return f"redirects off the site to {location[:120]!r}"
    if any(ord(ch) < 32 for ch in location):
        return f"control characters in the redirect target {location[:120]!r}"
    return None


COUNTER_MARKERS = ("ratelimit:", "throttle")


def clear_counters() -> None:
    """Every example starts with empty rate-limit and throttle counters (else later examples would only meet
    429s); the rest of the cache stays, the progress recount's debounce mark included."""
    from django.core.cache import cache

    store = getattr(cache, "_cache", None)
    if isinstance(store, dict):  # locmem
        for key in [k for k in store if any(m in k for m in COUNTER_MARKERS)]:
            cache.delete(key.split(":", 2)[-1])
        return
    client = getattr(store, "get_client", None)
    if client is not None:  # Redis
        redis = client(write=True)
        for marker in COUNTER_MARKERS:
            keys = list(redis.scan_iter(match=f"*{marker}*"))
            if keys:
                redis.delete(*keys)


@dataclass
class Outcome:
    status: int | None
    refused: str | None
    problems: list
    html: str = ""  # the body of a 200 HTML answer, for finding its forms


def judge(world, role: str, req: HostileRequest, *, passwords: tuple = ()) -> Outcome:
    """Send `req` as `role` inside a rolled-back savepoint and list every broken rule."""
    from orgs.models import AuditEvent

    clear_counters()
    client = world.client(role, enforce_csrf=req.enforce_csrf)
    recorder = WriteRecorder()
    problems: list[str] = []
    status = refused = None
    html = ""
    with transaction.atomic():
        before = row_counts()
        last_audit = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        try:
            with connection.execute_wrapper(recorder), TestCase.captureOnCommitCallbacks(execute=True):
                response = send(client, req)
                text = response_text(response)
        except Exception as exc:  # noqa: BLE001 - every exception is a finding
            tb = exc.__traceback__
            frames = []
            while tb is not None:
                code = tb.tb_frame.f_code
                if "/site-packages/" not in code.co_filename:
                    frames.append(f"{code.co_filename.rsplit('/', 2)[-2:]}:{tb.tb_lineno}")
                tb = tb.tb_next
            wrote = [w for w in recorder.writes if not _exempt(w[0])]
            after_writes = f"; it had already written {wrote[:3]}" if wrote else ""
            problems.append(f"exception {type(exc).__name__}: {str(exc)[:200]} (at {frames[-3:]}){after_writes}")
        else:
            status = response.status_code
            if status == 200 and "html" in response.get("Content-Type", ""):
                html = text
            if status >= 500:
                problems.append(f"HTTP {status}")
            refused = refusal(response)
            if refused:
                writes = [w for w in recorder.writes if not _exempt(w[0]) and w[0] != AuditEvent._meta.db_table]
                after = row_counts()
                changed = {t: (before.get(t), n) for t, n in after.items() if before.get(t) != n and t != AuditEvent._meta.db_table}
                audits = list(
                    AuditEvent.objects.filter(pk__gt=last_audit).exclude(action__in=ACCESS_RECORD_ACTIONS).values_list("action", flat=True)
                )
                if writes or changed or audits:
                    problems.append(
                        f"refused ({refused[:200]}) yet wrote: {writes[:3]} row counts {changed} audit {audits}"
                    )
            leaks = leaked_id_numbers(text, world.id_numbers, req)
            if leaks:
                problems.append(f"full ID number in the response: {leaks}")
            echoed = [p for p in passwords if p and len(p) >= 6 and p in text]
            if echoed:
                problems.append(f"typed password echoed: {echoed}")
            off_site = redirect_problem(response)
            if off_site:
                problems.append(off_site)
        transaction.set_rollback(True)
    return Outcome(status=status, refused=refused, problems=problems, html=html)
