"""Celery beat, in-process, for the embedded default (no broker): one daemon thread that runs the entries of
CELERY_BEAT_SCHEDULE on their schedules and, on request, a task a few seconds from now.

With REDIS_URL set, tasks go to a worker and one `celery beat` schedules them; this thread never starts then.
Without a broker (`python3 scripts/run.py`: SQLite, eager tasks) nothing else would run the periodic entries,
so the process that serves requests runs them itself:

- KEXIE_INPROCESS_SCHEDULER=auto (default): started in the process `manage.py runserver` serves from;
- on: started in any process that loads Django without a broker (e.g. gunicorn with a single worker);
- off: never (the test settings).

`run_soon(name, delay)` lets a request hand work to this thread instead of doing it before the response: a burst
of calls within `delay` runs the task once. Tasks run one at a time, synchronously, through Celery's `apply()`,
each with fresh database connections; a failing run is logged and the schedule goes on.

`task_wake(name, delay=…)` is how changes ask for their sweep job in any deployment: this thread's `run_soon` here,
at once where tasks are eager, and with a worker one job per window across all processes.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections

logger = logging.getLogger(__name__)

_started: InProcessScheduler | None = None
_start_lock = threading.Lock()


def _as_schedule(value, app):
    from celery.schedules import schedule

    if isinstance(value, (int, float)):
        return schedule(run_every=timedelta(seconds=value), app=app)
    if isinstance(value, timedelta):
        return schedule(run_every=value, app=app)
    value.app = app  # crontab and friends compute "now" in the Celery app's time zone
    return value


class InProcessScheduler:
    def __init__(self, entries: dict, *, app=None, poll_seconds: float = 1.0):
        from kexie.celery import app as kexie_app

        self.app = app or kexie_app
        self.poll_seconds = poll_seconds
        started = self.app.now()
        # Like beat on a fresh start: an interval entry first runs one interval from now.
        self._entries = {
            name: {"task": entry["task"], "schedule": _as_schedule(entry["schedule"], self.app), "last": started,
                   "args": tuple(entry.get("args", ()))}
            for name, entry in entries.items()
        }
        self._soon: dict[str, float] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs: list[str] = []  # task names in the order they ran (for the page's honesty and for tests)

    # --- control ------------------------------------------------------------------------------------------

    def start(self) -> InProcessScheduler:
        self._thread = threading.Thread(target=self._loop, name="kexie-inprocess-beat", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_soon(self, task_name: str, delay: float) -> None:
        """Run `task_name` once within `delay` seconds; calls before it runs share that one run."""
        with self._lock:
            deadline = time.monotonic() + delay
            self._soon[task_name] = min(self._soon.get(task_name, deadline), deadline)
        self._wake.set()

    # --- the loop -----------------------------------------------------------------------------------------

    def _due(self) -> list[tuple[str, tuple]]:
        due = []
        now = time.monotonic()
        with self._lock:
            for name, deadline in list(self._soon.items()):
                if deadline <= now:
                    del self._soon[name]
                    due.append((name, ()))
        for entry in self._entries.values():
            state = entry["schedule"].is_due(entry["last"])
            if state.is_due:
                entry["last"] = self.app.now()
                due.append((entry["task"], entry["args"]))
        return due

    def _wait_seconds(self) -> float:
        with self._lock:
            soonest = min(self._soon.values(), default=None)
        wait = self.poll_seconds if soonest is None else max(0.0, min(self.poll_seconds, soonest - time.monotonic()))
        return wait

    def _loop(self) -> None:
        while not self._stop.is_set():
            for task_name, args in self._due():
                self._run(task_name, args)
            self._wake.wait(self._wait_seconds())
            self._wake.clear()

    def _run(self, task_name: str, args: tuple) -> None:
        close_old_connections()
        try:
            self.app.tasks[task_name].apply(args=args, throw=True)
        except Exception:  # noqa: BLE001 - one failing job must not stop the others
            logger.exception("in-process scheduled task %s failed", task_name)
        finally:
            self.runs.append(task_name)
            close_old_connections()


# --- the process-wide instance -------------------------------------------------------------------------------


def wanted(argv: list[str] | None = None, environ: dict | None = None) -> bool:
    """Whether this process should run the in-process scheduler (see the module docstring)."""
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    mode = getattr(settings, "KEXIE_INPROCESS_SCHEDULER", "auto")
    if mode == "off" or not settings.CELERY_TASK_ALWAYS_EAGER:
        return False  # with a broker, the one `celery beat` schedules everything
    if mode == "on":
        return True
    if len(argv) < 2 or argv[1] != "runserver":
        return False
    # The autoreloader's parent only watches files; its child (RUN_MAIN) serves requests.
    return environ.get("RUN_MAIN") == "true" or "--noreload" in argv


def start_if_wanted() -> InProcessScheduler | None:
    global _started
    with _start_lock:
        if _started is None and wanted():
            _started = InProcessScheduler(settings.CELERY_BEAT_SCHEDULE).start()
            logger.info("in-process scheduler started (no broker configured)")
        return _started


def is_running() -> bool:
    return _started is not None


def run_soon(task_name: str, delay: float) -> bool:
    """Hand `task_name` to the in-process scheduler; False when it does not run in this process."""
    if _started is None:
        return False
    _started.run_soon(task_name, delay)
    return True


# --- one run for a burst of callers ---------------------------------------------------------------------------

# Per process: the cache key of each window this process knows a job covers → time.time() until which it does.
_woken: dict[str, float] = {}
# Hosts' clocks may differ this much: a process stops relying on another host's window this long before its end.
WAKE_CLOCK_MARGIN_SECONDS = 1.0


def task_wake_key(name: str) -> str:
    return f"wake:{name}"


def task_wake(name: str, *, delay: float, inprocess_delay: float | None = None) -> None:
    """One run of the task `name` soon, however many callers ask: the job reads the rows that say what is due
    (progress deltas and marks, the notice outbox), so a burst of changes needs one run, not one per change.

    - the in-process scheduler (no broker, runserver): once within `inprocess_delay` (else `delay`) seconds;
    - tasks eager (no broker, no scheduler: tests, management commands): at once, in this thread;
    - a worker: one job per `delay` window across all processes, sent with that countdown, so that every caller
      of the window has committed before it runs. A cache key marks the window (its value: when it ends); a
      process that knows the window's end asks the cache nothing more until then. A broker that refuses the job
      leaves the rows for the periodic sweep and the next caller tries again.
    Call it after commit.
    """
    from kexie import celery  # kexie.celery imports this module

    if run_soon(name, delay=delay if inprocess_delay is None else inprocess_delay):
        return
    if celery.app.conf.task_always_eager:
        celery.task_send(name)
        return
    key = task_wake_key(name)
    now = time.time()
    if _woken.get(key, 0.0) > now:
        return
    ends = now + delay
    if not cache.add(key, ends, timeout=delay):
        known = cache.get(key)
        if isinstance(known, (int, float)):
            _woken[key] = known - WAKE_CLOCK_MARGIN_SECONDS
        return
    if celery.task_send(name, countdown=delay):
        _woken[key] = ends
    else:
        cache.delete(key)


def task_wakes_forget() -> None:
    """Forget which windows this process knows are covered (the next caller asks the cache again)."""
    _woken.clear()
