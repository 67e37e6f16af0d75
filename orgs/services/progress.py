"""Progress bookkeeping kept by orgs: which organisations need a recount, and the dashboard export.

The recount itself counts applications and memberships, so it lives in approvals (approvals/progress.py);
orgs only marks organisations dirty and announces it with the `progress_dirty` signal.
"""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from orgs.models import ProgressDirtyMark
from orgs.selectors.progress import public_cache_keys
from orgs.services.audit import audit_record
from orgs.signals import progress_dirty


def progress_mark_dirty(*, org_ids: Iterable[int]) -> None:
    now = timezone.now()
    ProgressDirtyMark.objects.bulk_create(
        [ProgressDirtyMark(org_id=org_id, marked_at=now) for org_id in sorted(set(org_ids))],
        update_conflicts=True,
        unique_fields=["org"],
        update_fields=["marked_at"],
    )


def progress_schedule(*, org_ids: Iterable[int]) -> None:
    """Mark orgs dirty and announce it; the progress computation (approvals) enqueues a debounced recount."""
    org_ids = sorted(set(org_ids))
    progress_mark_dirty(org_ids=org_ids)
    progress_dirty.send(sender=ProgressDirtyMark, org_ids=org_ids)


def progress_public_invalidate(*, year: int) -> None:
    """New snapshots of `year` were committed: the public page's cached copy is dropped so that it shows them."""
    cache.delete_many(public_cache_keys(year))


def dashboard_export(*, actor, dashboard, year: int, kind: str) -> bytes:
    """A progress dashboard table as Excel (aggregates only, no personal data); audited as one export."""
    from orgs.exports import dashboard_workbook

    with transaction.atomic():
        content = dashboard_workbook(dashboard)
        audit_record(
            actor=actor,
            action="export.dashboard",
            obj=dashboard.root,
            org=dashboard.root,
            data={"year": year, "kind": kind, "rows": len(dashboard.rows)},
        )
    return content
