"""Progress bookkeeping kept by orgs: the counted changes (deltas) events record, which organisations need a
recount, and the dashboard export.

The counting itself reads applications and memberships, so it lives in approvals (approvals/progress.py);
orgs only stores deltas and marks and announces them with the `progress_dirty` signal.
"""

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from orgs.models import ProgressDelta, ProgressDirtyMark
from orgs.selectors.progress import public_cache_key, public_pages, public_snapshot_version, public_version_key
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


def progress_deltas_record(*, rows: Mapping[tuple[int, int, str, int | None], int]) -> list[int]:
    """Record counted changes {(org_id, year, key, month): n} in the caller's transaction; zero changes are
    dropped. Returns the orgs concerned (for `progress_announce` after commit)."""
    deltas = [
        ProgressDelta(org_id=org_id, year=year, key=key, month=month, n=n)
        for (org_id, year, key, month), n in sorted(rows.items(), key=lambda item: (item[0][:3], item[0][3] or 0))
        if n
    ]
    ProgressDelta.objects.bulk_create(deltas, batch_size=1000)
    return sorted({d.org_id for d in deltas})


def progress_announce(*, org_ids: Iterable[int]) -> None:
    """Counted changes of these orgs were committed: wake the recompute without marking them for a recount."""
    org_ids = sorted(set(org_ids))
    if org_ids:
        progress_dirty.send(sender=ProgressDelta, org_ids=org_ids)


def progress_schedule(*, org_ids: Iterable[int]) -> None:
    """Mark orgs dirty and announce it; the progress computation (approvals) enqueues a debounced recount."""
    org_ids = sorted(set(org_ids))
    progress_mark_dirty(org_ids=org_ids)
    progress_dirty.send(sender=ProgressDirtyMark, org_ids=org_ids)


def progress_public_invalidate(*, year: int, version: dt.datetime | None = None) -> None:
    """New snapshots of `year` were committed: every cached copy of the public page is dropped so that it shows
    them, and each page's snapshot time is announced, so a copy read from a replica that lags behind them is not
    cached. `version`: that time when the caller knows it is every page's (a whole recount stamps every
    snapshot), instead of a query per page."""
    for province in public_pages():
        province_id = province.pk if province else None
        page_version = version if version is not None else public_snapshot_version(year, province)
        cache.set(public_version_key(year, province_id), page_version, None)
        cache.delete(public_cache_key(year, province_id))


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
