"""kexie.scheduler.task_wake: one job for a burst of callers, in every way a deployment runs jobs."""

import time

import pytest
from django.core.cache import cache

import kexie.celery
from kexie import scheduler
from kexie.celery import app
from kexie.scheduler import task_wake, task_wake_key, task_wakes_forget

TASK = "members.tasks.notices_deliver_pending"


@pytest.fixture
def sent(monkeypatch):
    """Tasks go to a broker (not eager); what would be published is recorded instead."""
    calls = []
    monkeypatch.setattr(kexie.celery, "task_send", lambda name, *args, **options: calls.append((name, options)) or True)
    cache.delete(task_wake_key(TASK))
    task_wakes_forget()
    app.conf.task_always_eager = False
    yield calls
    app.conf.task_always_eager = True
    task_wakes_forget()


def test_a_burst_sends_one_job_with_the_window_as_countdown(sent):
    for _ in range(5):
        task_wake(TASK, delay=30)
    assert sent == [(TASK, {"countdown": 30})]
    assert cache.get(task_wake_key(TASK)) > time.time() + 25, "the cache holds when the window ends"


def test_once_the_window_is_over_the_next_caller_sends_again(sent):
    task_wake(TASK, delay=30)
    cache.delete(task_wake_key(TASK))
    task_wake(TASK, delay=30)
    assert len(sent) == 1, "this process knows its own window is still running: no cache round trip, no job"
    task_wakes_forget()
    task_wake(TASK, delay=30)
    assert len(sent) == 2


def test_a_window_opened_by_another_process_is_respected_and_remembered(sent):
    cache.set(task_wake_key(TASK), time.time() + 20, timeout=20)
    task_wake(TASK, delay=30)
    assert sent == [], "another process's job covers this caller"
    cache.delete(task_wake_key(TASK))
    task_wake(TASK, delay=30)
    assert sent == [], "the window's end was remembered: the cache is not asked again before it"


def test_a_window_about_to_end_elsewhere_is_not_relied_on(sent):
    cache.set(task_wake_key(TASK), time.time() + 0.5, timeout=20)  # within the clock margin
    task_wake(TASK, delay=30)
    cache.delete(task_wake_key(TASK))
    task_wake(TASK, delay=30)
    assert sent == [(TASK, {"countdown": 30})]


def test_a_refused_publish_lets_the_next_caller_try_again(monkeypatch, sent):
    monkeypatch.setattr(kexie.celery, "task_send", lambda name, *args, **options: sent.append(name) and False)
    task_wake(TASK, delay=30)
    task_wake(TASK, delay=30)
    assert sent == [TASK, TASK]
    assert cache.get(task_wake_key(TASK)) is None


def test_without_a_broker_the_in_process_scheduler_gets_it(monkeypatch, sent):
    handed = []
    monkeypatch.setattr(scheduler, "run_soon", lambda name, delay: handed.append((name, delay)) or True)
    task_wake(TASK, delay=30, inprocess_delay=2)
    task_wake(TASK, delay=30)
    assert handed == [(TASK, 2), (TASK, 30)] and sent == []


def test_with_tasks_eager_it_runs_at_once(monkeypatch):
    ran = []
    monkeypatch.setattr(kexie.celery, "task_send", lambda name, *args, **options: ran.append((name, options)) or True)
    task_wake(TASK, delay=30)
    task_wake(TASK, delay=30)
    assert ran == [(TASK, {}), (TASK, {})], "no window: each caller's job runs in its own thread"
