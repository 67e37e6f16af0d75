from celery import shared_task

from orgs import services


@shared_task
def progress_recompute_dirty() -> bool:
    """Periodic and debounced: recount orgs marked since the last run. False when another run held the lock;
    its marks stay and the next run takes them."""
    return services.progress_recompute_dirty()


@shared_task
def progress_recompute_all(year: int | None = None) -> bool:
    """Nightly safety net: a full recount also covers changes no signal announced (e.g. membership lapses)."""
    return services.progress_recompute_all(years=[year] if year else None)
