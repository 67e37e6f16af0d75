"""The Celery app, and how services send jobs so that a broker outage never fails the request that started them.

The database row a job works on (a census import's status, a notice, a progress mark) is the record that the job
is due; the broker only carries the wake-up. A publish error is therefore logged and swallowed here, and a
periodic sweep sends again whatever is due and not running (docs/RELIABILITY.md).
"""

import logging
import os

from celery import Celery

from kexie.db_routing import primary_reads

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kexie.settings.local")

logger = logging.getLogger(__name__)

app = Celery("kexie")
# Settings are read from Django's settings under the CELERY_ namespace; with REDIS_URL unset
# base.py makes tasks run eagerly in-process, so development needs no broker.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_send(name: str, *args, **options) -> bool:
    """Enqueue the task registered as `name` (run in-process when tasks are eager); False when the broker is
    unreachable, which is logged, never raised.

    Services enqueue their own app's tasks by name: tasks modules import services, never the reverse. Each app
    imports its tasks module in AppConfig.ready(), so the name is registered in web processes too.
    """
    try:
        # An eager task runs here, possibly inside a page that reads the replica: a job reads the primary.
        with primary_reads():
            app.signature(name, args=args).apply_async(**options)
    except Exception:  # noqa: BLE001 - any broker or connection failure; the database row is the record
        logger.warning("job %s%r not sent (broker unavailable); the periodic sweep will send it", name, args)
        return False
    return True


def task_send_on_commit(name: str, *args, **options) -> None:
    """Enqueue after the surrounding transaction commits; nothing raised there can fail the request."""
    from django.db import transaction

    transaction.on_commit(lambda: task_send(name, *args, **options), robust=True)
