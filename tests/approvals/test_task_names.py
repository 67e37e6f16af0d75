"""Task names the schedule and stored periodic tasks refer to exist, including after the progress tasks moved."""

from importlib import import_module

import pytest
from django.apps import apps
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from kexie.celery import app

renaming = import_module("approvals.migrations.0006_progress_task_names")


def test_every_scheduled_task_is_registered():
    """A beat entry naming a task no module registers would be sent and dropped by every worker."""
    missing = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] not in app.tasks]
    assert not missing, missing
    assert set(renaming.RENAMED.values()) <= set(app.tasks)


@pytest.mark.django_db
def test_stored_periodic_tasks_follow_the_progress_tasks_to_approvals_and_back():
    every = IntervalSchedule.objects.create(every=300, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="dirty", task="orgs.tasks.progress_recompute_dirty", interval=every)
    PeriodicTask.objects.create(name="all", task="orgs.tasks.progress_recompute_all", interval=every, args="[2025]")
    PeriodicTask.objects.create(name="notices", task="members.tasks.notices_deliver_pending", interval=every)

    renaming.forwards(apps, None)
    assert dict(PeriodicTask.objects.values_list("name", "task")) == {
        "dirty": "approvals.tasks.progress_recompute_dirty",
        "all": "approvals.tasks.progress_recompute_all",
        "notices": "members.tasks.notices_deliver_pending",
    }
    assert PeriodicTask.objects.get(name="all").args == "[2025]"

    renaming.backwards(apps, None)
    assert dict(PeriodicTask.objects.values_list("name", "task")) == {
        "dirty": "orgs.tasks.progress_recompute_dirty",
        "all": "orgs.tasks.progress_recompute_all",
        "notices": "members.tasks.notices_deliver_pending",
    }
