"""Sending background jobs so that a broker outage never fails the request that started them.

The database row a job works on (a census import's status, a notice, a progress mark) is the record that the
job is due; the broker only carries the wake-up. So a publish error is logged and swallowed here, and a
periodic sweep sends again whatever is due and not running.
"""

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def _task(name: str):
    app = current_app
    if name not in app.tasks:
        # A web process registers tasks only as their modules are imported; load them all once.
        app.loader.import_default_modules()
    return app.tasks[name]


def job_send(name: str, *args, **options) -> bool:
    """Publish the task registered as `name` (eagerly in development); False when the broker refused it."""
    try:
        _task(name).apply_async(args=args, **options)
    except Exception:  # noqa: BLE001 - any broker or connection failure; the database row is the record
        logger.warning("job %s%r not sent (broker unavailable); the periodic sweep will send it", name, args)
        return False
    return True


def job_send_on_commit(name: str, *args, **options) -> None:
    """Publish after the surrounding transaction commits; nothing raised there can fail the request."""
    transaction.on_commit(lambda: job_send(name, *args, **options), robust=True)
