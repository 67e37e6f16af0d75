"""Goal 5 of issue 17: the web and worker processes stay under 300 MB resident while a 60,000-row census list
is uploaded, validated and committed, and while hostile spreadsheets are uploaded.

The web tier is gunicorn (bench.harness.Server, started fresh so its workers carry nothing from other
benchmarks); the worker is a real `celery -A kexie worker` on REDIS_URL. Each process's peak resident set is
read from /proc/<pid>/status: VmHWM, reset before every scenario through /proc/<pid>/clear_refs (Linux ≥ 4.0),
and VmRSS sampled every 50 ms as a cross-check (and for processes that start mid-scenario). A scenario's figure
is the largest peak among the gunicorn processes (web) or the Celery processes (worker).
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench import hostile_files
from bench.harness import CSRF_TOKEN, ROOT, Context, Row, Server, benchmark, unavailable

GOAL_MB = 300
GOAL = f"< {GOAL_MB} MB"
CENSUS_ROWS = int(os.environ.get("KEXIE_BENCH_MEMORY_ROWS", "60000"))
# "0" measures the census list alone (e.g. to compare with an older build, whose reader the hostile files would
# keep busy for a long time).
HOSTILE = os.environ.get("KEXIE_BENCH_MEMORY_HOSTILE", "1") != "0"
CELERY = Path(sys.executable).with_name("celery")
JOB_TIMEOUT = 1200  # seconds for one validation or commit of the full list on a shared 2-core machine
SAMPLE_SECONDS = 0.05


# --- peak resident memory of process trees -------------------------------------------------------------------

def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree(root: int) -> list[int]:
    """`root` and every descendant (gunicorn's workers, Celery's pool processes)."""
    pids, queue = [], [root]
    while queue:
        pid = queue.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                queue += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                pass
    return pids


class PeakWatch:
    """The peak RSS (MB) of each named process tree between entering and leaving the block."""

    def __init__(self, roots: dict[str, int]):
        self.roots = roots
        self.peaks_kb = {name: 0 for name in roots}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakWatch":
        for root in self.roots.values():
            for pid in _tree(root):
                try:
                    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
                except OSError:
                    pass  # the sampling below still sees the peak, only less exactly
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._measure("VmHWM")

    def _measure(self, field: str) -> None:
        for name, root in self.roots.items():
            for pid in _tree(root):
                self.peaks_kb[name] = max(self.peaks_kb[name], _status_kb(pid, field))

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._measure("VmRSS")

    def mb(self, name: str) -> float:
        return self.peaks_kb[name] / 1024


def _current_mb(root: int) -> float:
    return max(_status_kb(pid, "VmRSS") for pid in _tree(root)) / 1024


# --- the Celery worker ---------------------------------------------------------------------------------------

class Worker:
    """`celery -A kexie worker` with the bench settings, one pool process (a census job runs in one)."""

    def __init__(self):
        self.log = tempfile.NamedTemporaryFile(prefix="kexie-bench-worker-", suffix=".log", delete=False)
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="kexie.settings.bench")
        command = [
            str(CELERY), "-A", "kexie", "worker", "--concurrency", "1", "--pool", "prefork", "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "-n", f"bench-memory-{uuid.uuid4().hex[:8]}@%h",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.process.returncode}: {self.tail()}")
            if re.search(r"\bready\.", Path(self.log.name).read_text(errors="replace")):
                return self
            time.sleep(0.5)
        raise RuntimeError("celery worker not ready within 120 s")

    def tail(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        os.unlink(self.log.name)


# --- the administrator and HTTP ------------------------------------------------------------------------------

def _census_admin(org):
    """A fresh administrator of `org` (the upload limit counts per administrator and hour) whose session has
    passed the second factor, as a signed-in administrator's has."""
    import importlib

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from members.models import User
    from orgs import permissions

    user = User.objects.create(
        username=f"bench_memory_{uuid.uuid4().hex[:10]}", full_name="内存测试管理员", password_changed_at=timezone.now()
    )
    permissions.grant_administer(user, org)
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    return user, f"{settings.SESSION_COOKIE_NAME}={store.session_key}; {settings.CSRF_COOKIE_NAME}={CSRF_TOKEN}"


def _http(port: int, method: str, path: str, cookie: str, body: bytes = b"", content_type: str = ""):
    headers = {"Cookie": cookie, "Host": "127.0.0.1", "X-CSRFToken": CSRF_TOKEN, "Referer": "http://127.0.0.1/"}
    if content_type:
        headers["Content-Type"] = content_type
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("Location") or "", response.read()
    finally:
        conn.close()


def _upload(port: int, cookie: str, org_id: int, filename: str, content: bytes):
    from django.urls import reverse

    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return _http(port, "POST", reverse("console_members:census_upload", args=[org_id]), cookie, body,
                 f"multipart/form-data; boundary={boundary}")


def _form_error(page: bytes) -> str:
    """The refusal shown under the file field of the upload page."""
    text = page.decode("utf-8", errors="replace")
    found = re.search(r'<p class="error">([^<]+)</p>', text)
    return found.group(1).strip() if found else "(no message found on the page)"


def _wait(census_id: int, port: int, cookie: str, until: set[str]) -> str:
    """Poll as the page does (the status endpoint through gunicorn) until the import reaches one of `until`."""
    from django.urls import reverse

    from members.models import CensusImport

    status_url = reverse("console_members:census_status", args=[census_id])
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        _http(port, "GET", status_url, cookie)
        status = CensusImport.objects.filter(pk=census_id).values_list("status", flat=True).get()
        if status in until:
            return status
        time.sleep(0.5)
    raise RuntimeError(f"census {census_id} still not {until} after {JOB_TIMEOUT} s")


def _census_id(location: str) -> int:
    return int(re.search(r"/census/(\d+)/", location).group(1))


# --- the files -----------------------------------------------------------------------------------------------

def _census_rows(count: int, seed_base: int) -> list[list]:
    from bench.loadgen import id_number_for

    educations, titles = ["本科", "大专", "硕士", "中专"], ["中级", "初级", "副高"]
    return [
        [f"普查{seed_base + i}", id_number_for(seed_base + i, 13), f"16{(seed_base + i) % 10**9:09d}",
         f"某县第{i % 97}农技推广站", educations[i % 4], titles[i % 3], "普通会员",
         f"p{seed_base + i}@example.com" if i % 2 else ""]
        for i in range(count)
    ]


def _noise(size: int) -> str:
    """Text that compresses about as badly as text can (base64 of random bytes)."""
    return base64.b64encode(os.urandom(size * 3 // 4)).decode()


def _hostile_cases(seed_base: int):
    """(what, filename, builder, expected outcome): "refused", or "processed" with its row count."""
    h = hostile_files
    return [
        ("zip bomb: sheet XML expanding to 2 GiB", "bomb.xlsx", lambda: h.sheet_bomb(2 << 30), "refused"),
        ("zip bomb: shared strings expanding to 1 GiB", "strings.xlsx", lambda: h.shared_strings_bomb(1 << 30),
         "refused"),
        ("500,000 distinct shared strings (32 MB, the limit)", "strings-limit.xlsx",
         lambda: h.many_shared_strings(500_000, 48), "processed 0"),
        ("600,000 distinct shared strings (over the limit)", "strings-over.xlsx",
         lambda: h.many_shared_strings(600_000, 1), "refused"),
        ('<dimension ref="A1:Z1000000"> over 100 real rows', "dimension.xlsx",
         lambda: h.declared_million_rows(_census_rows(100, seed_base + 500_000)), "processed 100"),
        ("1,000,000 real rows of one tiny cell", "million.xlsx", h.real_million_rows, "refused"),
        ("one cell of 15 MB (incompressible)", "long-cell.xlsx",
         lambda: h.xlsx_bytes(['<row r="1"><c r="A1" t="inlineStr"><is><t>', _noise(15 << 20),
                               "</t></is></c></row>"]), "refused"),
        ("16,384 columns × 100 rows", "columns.xlsx", lambda: h.many_columns(16_384, 100), "refused"),
        ("a 15 MB attribute in one tag", "attribute.xlsx",
         lambda: h.xlsx_bytes(['<row r="1"><c r="A1" x="', _noise(15 << 20), '"/></row>']), "refused"),
        ("entity expansion (billion laughs)", "laughs.xlsx", h.entity_expansion, "refused"),
        ("CSV: one line of 19 MB", "line.csv", lambda: h.csv_single_line(19 << 20), "refused"),
        ("not a zip, named .xlsx", "fake.xlsx", h.not_a_zip, "refused"),
    ]


# --- the benchmark -------------------------------------------------------------------------------------------

@benchmark("memory", "内存：普查导入与恶意表格（web 与 worker 常驻内存峰值）")
def memory(ctx: Context) -> list[Row]:
    from members.models import CensusImport, CensusRow
    from orgs.models import Org

    name = f"census of {CENSUS_ROWS:,} rows"
    if not os.environ.get("REDIS_URL"):
        return unavailable(name, GOAL, "needs REDIS_URL: the worker is a real Celery worker")
    if not Path("/proc/self/status").exists():
        return unavailable(name, GOAL, "needs Linux /proc to read resident memory")
    org = Org.objects.filter(level="county", kind="kexie").order_by("code").first()
    _admin, cookie = _census_admin(org)
    seed_base = 300_000_000 + CensusImport.objects.count() * 1_000_000

    server = Server().start()
    worker = None
    rows: list[Row] = []
    try:
        worker = Worker().start()
        roots = {"web": server.process.pid, "worker": worker.process.pid}
        # Warm both: a first request loads the code into each gunicorn worker.
        for _ in range(2 * server.workers):
            _http(server.port, "GET", f"/console/orgs/{org.pk}/census/", cookie)
        idle = {role: _current_mb(pid) for role, pid in roots.items()}
        ctx.notes.append(
            f"memory: idle resident set before the census, web {idle['web']:.0f} MB (largest gunicorn process), "
            f"worker {idle['worker']:.0f} MB (largest Celery process)"
        )

        content = hostile_files.census_xlsx(_census_rows(CENSUS_ROWS, seed_base))
        with PeakWatch(roots) as upload:
            status, location, page = _upload(server.port, cookie, org.pk, "census.xlsx", content)
            if status != 302:
                raise RuntimeError(f"upload answered {status}: {_form_error(page)}")
            census_id = _census_id(location)
        started = time.monotonic()
        with PeakWatch(roots) as validate:
            _wait(census_id, server.port, cookie, {"validated", "failed"})
        validated = time.monotonic()
        census = CensusImport.objects.get(pk=census_id)
        if census.status != "validated":
            raise RuntimeError(f"validation failed: {census.message}")
        with PeakWatch(roots) as commit:
            from django.urls import reverse

            _http(server.port, "POST", reverse("console_members:census_commit", args=[census_id]), cookie)
            _wait(census_id, server.port, cookie, {"committed", "validated", "failed"})
            committed = time.monotonic()
            pending = CensusRow.objects.filter(census_id=census_id, membership__isnull=False, emailed_at__isnull=True)
            deadline = time.monotonic() + JOB_TIMEOUT
            while pending.exclude(email="").exists() and time.monotonic() < deadline:
                time.sleep(0.5)
        census.refresh_from_db()
        size = f"{len(content) / 1024 / 1024:.1f} MB .xlsx with shared strings"
        rows.append(Row(f"{name}: upload request (web)", f"{upload.mb('web'):.0f} MB", GOAL,
                        upload.mb("web") < GOAL_MB, f"{size}; answered {status}"))
        rows.append(Row(f"{name}: validation job (worker)", f"{validate.mb('worker'):.0f} MB", GOAL,
                        validate.mb("worker") < GOAL_MB,
                        f"{census.total_rows:,} rows, {census.valid_rows:,} valid, {validated - started:.0f} s; "
                        f"web while polling {validate.mb('web'):.0f} MB"))
        emailed = CensusRow.objects.filter(census_id=census_id, emailed_at__isnull=False).count()
        rows.append(Row(f"{name}: commit and invitation jobs (worker)", f"{commit.mb('worker'):.0f} MB", GOAL,
                        commit.mb("worker") < GOAL_MB and census.status == "committed",
                        f"{census.imported_rows:,} imported ({census.status}) in {committed - validated:.0f} s, "
                        f"{emailed:,} invitations mailed; web while polling {commit.mb('web'):.0f} MB"))

        for what, filename, build, expected in _hostile_cases(seed_base) if HOSTILE else []:
            content = build()
            before = CensusImport.objects.count()
            with PeakWatch(roots) as watch:
                status, location, page = _upload(server.port, cookie, org.pk, filename, content)
                if status == 302:
                    census_id = _census_id(location)
                    _wait(census_id, server.port, cookie, {"validated", "failed"})
            if status == 302:
                census = CensusImport.objects.get(pk=census_id)
                written = CensusRow.objects.filter(census=census).count()
                if census.status == "failed":
                    outcome, how = "refused", f"refused by the validation job: {census.message}"
                else:
                    outcome, how = f"processed {census.total_rows}", f"processed: {census.total_rows} rows validated"
            else:
                written = 0
                stored = CensusImport.objects.count() - before
                outcome = "refused" if status == 200 and not stored else f"answered {status}"
                how = f"refused by the upload form ({status}): {_form_error(page)}"
            expected_written = 0 if expected == "refused" else int(expected.split()[1])
            ok = (watch.mb("web") < GOAL_MB and watch.mb("worker") < GOAL_MB and outcome == expected
                  and written == expected_written)
            rows.append(Row(
                f"hostile: {what}", f"web {watch.mb('web'):.0f} MB, worker {watch.mb('worker'):.0f} MB",
                f"{GOAL} each; {expected}", ok,
                f"{len(content) / 1024 / 1024:.2f} MB uploaded; {how}; rows written {written}",
            ))
    finally:
        if worker is not None:
            worker.stop()
        server.stop()
    return rows
