"""The progress recount tasks moved from orgs to approvals: periodic tasks stored by django-celery-beat
(those of CELERY_BEAT_SCHEDULE and any an administrator added) follow the new task names."""

from django.db import migrations

RENAMED = {
    "orgs.tasks.progress_recompute_dirty": "approvals.tasks.progress_recompute_dirty",
    "orgs.tasks.progress_recompute_all": "approvals.tasks.progress_recompute_all",
}


def _rename(apps, names: dict[str, str]) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for old, new in names.items():
        PeriodicTask.objects.filter(task=old).update(task=new)


def forwards(apps, schema_editor):
    _rename(apps, RENAMED)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0005_queue_newest_per_org_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
