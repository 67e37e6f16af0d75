"""The machinery every benchmark shares: a registry, query counting, a gunicorn server and a load client."""

from __future__ import annotations

import http.client
import importlib
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
# Two cores: two sync workers saturate them; more would only time-slice the same CPUs.
GUNICORN_WORKERS = int(os.environ.get("KEXIE_BENCH_WORKERS", "2"))
UNAVAILABLE = "not available in this build"


@dataclass
class Row:
    name: str
    measured: str
    goal: str
    met: bool | None  # None: nothing to judge (unavailable, or a reference figure)
    note: str = ""


@dataclass
class Benchmark:
    key: str
    title: str
    run: Callable[["Context"], list[Row]]


@dataclass
class Context:
    """What benchmarks share in one run: the server (started once) and free-form notes for the report."""

    server: "Server"
    notes: list[str] = field(default_factory=list)


REGISTRY: list[Benchmark] = []


def benchmark(key: str, title: str):
    def register(run):
        REGISTRY.append(Benchmark(key, title, run))
        return run

    return register


def unavailable(name: str, goal: str, why: str) -> list[Row]:
    return [Row(name, UNAVAILABLE, goal, None, why)]


def dotted(path: str):
    """The object at `module.attr`, or None when this build does not have it yet."""
    module, _, attr = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None


def count_queries(fn: Callable, *args, **kwargs) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = fn(*args, **kwargs)
    return len(captured), result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# --- sessions -------------------------------------------------------------------------------------------

CSRF_TOKEN = "benchcsrftokenbenchcsrftoken0123"  # 32 characters: Django accepts an unmasked secret


def console_ready(user) -> object | None:
    """What a console user has after a real sign-in: a changed password (else every console page leads to
    修改密码) and a confirmed authenticator (else to the second factor). Returns the authenticator, or None for
    an applicant. Without this a benchmark of a console page would time the redirect, not the page."""
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from orgs.roles import works_with_people

    class _Request:
        pass

    probe = _Request()
    probe.user = user
    if not works_with_people(probe):
        return None
    if user.password_changed_at is None:
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password_changed_at"])
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)


def session_cookie(user) -> str:
    """A signed-in session for `user`, created directly: no login form, no password hashing. A console user's
    session has passed the second factor, as after a real sign-in."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY

    device = console_ready(user)
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if device is not None:
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}; {settings.CSRF_COOKIE_NAME}={CSRF_TOKEN}"


def signed_in_client(user):
    """django.test.Client signed in as `user` the way session_cookie signs in (second factor passed)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client()
    device = console_ready(user)
    client.force_login(user)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


# --- the server -----------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving kexie.wsgi with kexie.settings.bench on 127.0.0.1, as production would run it."""

    def __init__(self, workers: int = GUNICORN_WORKERS, env: dict[str, str] | None = None, cwd: Path | None = None):
        self.workers = workers
        # Extra environment for this server only: a benchmark starts a second server with one setting changed
        # to measure a fix's "before" side by side with its "after".
        self.env = env or {}
        # Another checkout of the project (an earlier commit) to serve instead of this one, on the same database.
        self.cwd = cwd or ROOT
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def command(self) -> list[str]:
        return [
            str(GUNICORN), "kexie.wsgi:application", "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "--timeout", "60",
        ]

    def start(self) -> "Server":
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="kexie.settings.bench", **self.env)
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                status, _, _ = request_once(self.port, "GET", "/healthz", {})
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def cpu_seconds(server: Server) -> dict[str, float]:
    """CPU seconds used so far (user + system, from /proc) by the server's gunicorn processes ("web") and by
    every PostgreSQL process of the machine ("database"): where a request's time goes, measured from outside."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"web": 0.0, "database": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                name, _, rest = stat.read().rpartition(")")
        except OSError:
            continue  # the process ended meanwhile
        fields = rest.split()
        parent, seconds = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        if server.process and server.process.pid in (int(entry), parent):
            used["web"] += seconds
        elif name.endswith("(postgres"):
            used["database"] += seconds
    return used


@contextmanager
def running_server(env: dict[str, str] | None = None, cwd: Path | None = None):
    server = Server(env=env, cwd=cwd).start()
    try:
        yield server
    finally:
        server.stop()


# --- the load client ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    method: str
    path: str
    cookie: str
    body: str = ""


@dataclass
class LoadResult:
    latencies: list[float]  # seconds, successful requests only
    statuses: dict[int, int]
    elapsed: float
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process kind (cpu_seconds) while it ran

    def add(self, other: "LoadResult") -> None:
        self.latencies += other.latencies
        self.elapsed += other.elapsed
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n
        for kind, seconds in other.cpu.items():
            self.cpu[kind] = self.cpu.get(kind, 0.0) + seconds

    def cpu_ms_per_request(self, kind: str) -> float:
        return 1000 * self.cpu.get(kind, 0.0) / self.completed if self.completed else 0.0

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.completed / self.elapsed if self.elapsed else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


def request_headers(req: Request) -> dict:
    headers = {"Cookie": req.cookie, "Host": "127.0.0.1"}
    if req.method == "POST":
        headers.update({
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": CSRF_TOKEN,
        })
    return headers


def request_once(port: int, method: str, path: str, headers: dict, body: str = "",
                 conn: http.client.HTTPConnection | None = None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body.encode() if body else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, response.getheader("Location"), data
    finally:
        if own:
            conn.close()


def load_run(port: int, requests: list[Request], *, clients: int, time_limit: float = 60.0,
             ok: Callable[[int], bool] = lambda status: status < 400) -> LoadResult:
    """Send `requests` from `clients` keep-alive connections; stops early at `time_limit` seconds."""
    work: queue.SimpleQueue = queue.SimpleQueue()
    for req in requests:
        work.put(req)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + time_limit

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while time.perf_counter() < deadline:
                try:
                    req = work.get_nowait()
                except queue.Empty:
                    return
                t0 = time.perf_counter()
                try:
                    status, _, _ = request_once(port, req.method, req.path, request_headers(req), req.body, conn)
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    status = 0
                took = time.perf_counter() - t0
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if ok(status):
                        latencies.append(took)
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return LoadResult(latencies, statuses, time.perf_counter() - started)


def measure_url(server: Server, path: str, cookie: str, *, clients: int = 10, requests: int = 300,
                time_limit: float = 60.0, ok: Callable[[int], bool] = lambda status: status == 200) -> LoadResult:
    """p50/p95 of GET `path` as the session in `cookie`, from `clients` concurrent keep-alive clients.

    Only answers `ok` accepts (by default 200) count: a redirect to the sign-in or the second factor is not the
    page being measured."""
    # A short warm-up so each worker has loaded code and opened its database connection.
    load_run(server.port, [Request("GET", path, cookie)] * (2 * server.workers), clients=server.workers)
    return load_run(server.port, [Request("GET", path, cookie)] * requests, clients=clients,
                    time_limit=time_limit, ok=ok)
