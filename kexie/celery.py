import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kexie.settings.local")

app = Celery("kexie")
# Settings are read from Django's settings under the CELERY_ namespace; with REDIS_URL unset
# base.py makes tasks run eagerly in-process, so development needs no broker.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_send(name: str, *args, **options) -> None:
    """Enqueue the task registered as `name` (run in-process when tasks are eager).

    Services enqueue their own app's tasks by name: tasks modules import services, never the reverse. Each app
    imports its tasks module in AppConfig.ready(), so the name is registered in web processes too.
    """
    app.signature(name, args=args).apply_async(**options)
