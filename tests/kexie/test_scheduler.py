"""The in-process scheduler: when it starts, beat entries on their schedules, coalesced run_soon requests, and a
failing task that does not stop the others."""

import threading
import time

import pytest
from celery.schedules import crontab

from kexie import scheduler
from kexie.celery import app

RUNS: list[str] = []
_lock = threading.Lock()


@app.task(name="tests.scheduler.record")
def record(tag: str = "tick") -> None:
    with _lock:
        RUNS.append(tag)


@app.task(name="tests.scheduler.fail")
def fail() -> None:
    raise RuntimeError("boom")


@pytest.fixture(autouse=True)
def clean_runs():
    RUNS.clear()
    yield
    RUNS.clear()


def _wait_for(predicate, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize(
    "mode,eager,argv,environ,expected",
    [
        ("auto", True, ["manage.py", "runserver"], {"RUN_MAIN": "true"}, True),
        ("auto", True, ["manage.py", "runserver"], {}, False),  # the autoreloader's watching parent
        ("auto", True, ["manage.py", "runserver", "--noreload"], {}, True),
        ("auto", True, ["manage.py", "migrate"], {}, False),
        ("auto", True, ["gunicorn", "kexie.wsgi"], {}, False),
        ("on", True, ["gunicorn", "kexie.wsgi"], {}, True),
        ("on", False, ["manage.py", "runserver"], {"RUN_MAIN": "true"}, False),  # a broker: the real beat runs
        ("auto", False, ["manage.py", "runserver"], {"RUN_MAIN": "true"}, False),
        ("off", True, ["manage.py", "runserver"], {"RUN_MAIN": "true"}, False),
    ],
)
def test_it_starts_only_without_a_broker_and_in_the_serving_process(settings, mode, eager, argv, environ, expected):
    settings.KEXIE_INPROCESS_SCHEDULER = mode
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    assert scheduler.wanted(argv, environ) is expected


def test_the_test_settings_never_start_it():
    assert scheduler.wanted(["manage.py", "runserver"], {"RUN_MAIN": "true"}) is False
    assert not scheduler.is_running()
    assert scheduler.run_soon("tests.scheduler.record", 0) is False


def test_an_interval_entry_runs_on_its_schedule_and_a_crontab_waits_for_its_time():
    beat = scheduler.InProcessScheduler(
        {
            "every": {"task": "tests.scheduler.record", "schedule": 0.2, "args": ("every",)},
            "nightly": {"task": "tests.scheduler.record", "schedule": crontab(hour=2, minute=30), "args": ("nightly",)},
        },
        poll_seconds=0.05,
    ).start()
    try:
        assert _wait_for(lambda: RUNS.count("every") >= 3)
    finally:
        beat.stop()
    assert "nightly" not in RUNS, "a nightly entry does not run at start-up"


def test_run_soon_runs_a_burst_of_requests_once_after_the_delay():
    beat = scheduler.InProcessScheduler({}, poll_seconds=0.05).start()
    try:
        started = time.monotonic()
        for _ in range(5):
            beat.run_soon("tests.scheduler.record", delay=0.3)
        assert _wait_for(lambda: RUNS == ["tick"])
        assert time.monotonic() - started >= 0.3
        time.sleep(0.4)
        assert RUNS == ["tick"], "one run for the whole burst"
        beat.run_soon("tests.scheduler.record", delay=0)
        assert _wait_for(lambda: RUNS == ["tick", "tick"]), "a later request runs again"
    finally:
        beat.stop()


def test_a_failing_task_is_logged_and_the_schedule_goes_on(caplog):
    beat = scheduler.InProcessScheduler(
        {
            "broken": {"task": "tests.scheduler.fail", "schedule": 0.1},
            "fine": {"task": "tests.scheduler.record", "schedule": 0.1},
        },
        poll_seconds=0.05,
    ).start()
    try:
        assert _wait_for(lambda: len(RUNS) >= 3)
    finally:
        beat.stop()
    assert beat.runs.count("tests.scheduler.fail") >= 2
    assert "tests.scheduler.fail failed" in caplog.text
