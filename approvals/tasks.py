"""Celery entry points of approvals: the progress recounts. They take ids (or nothing) and call
approvals.progress."""

from celery import shared_task

from approvals import deadlines, progress, retention


@shared_task(name=progress.PROGRESS_RECOUNT_TASK)
def progress_recompute_dirty() -> bool:
    """Periodic and debounced: recount orgs marked since the last run. False when another run held the lock;
    its marks stay and the next run takes them."""
    return progress.progress_recompute_dirty()


@shared_task(name="approvals.tasks.progress_recompute_all")
def progress_recompute_all(year: int | None = None) -> bool:
    """Nightly safety net: applies pending deltas, then verifies the snapshots against a full recount, logging,
    auditing and repairing any difference (and refreshing `overdue` everywhere)."""
    return progress.progress_recompute_all(years=[year] if year else None, verify=True)


@shared_task(name="approvals.tasks.evidence_purge_due")
def evidence_purge_due() -> int:
    """Nightly: remove evidence files of people whose applications all ended long enough ago."""
    return retention.evidence_purge_due()


@shared_task(name="approvals.tasks.deadlines_remind")
def deadlines_remind() -> int | None:
    """Periodic: reminders at two thirds of the handling time limit, when overdue, and escalation upward."""
    return deadlines.deadlines_remind()
