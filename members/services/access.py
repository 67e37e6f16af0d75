"""Access records (PIPL): which administrator saw whose personal data, when, what and from which organisation.

Written by the pages and exports that show people to administrators, in bulk for an export; the person reads
them on 我的数据. Not audit rows: an export of 60,000 members is one audit row and 60,000 access records, and
these carry no hash chain.
"""

from collections.abc import Iterable

from django.utils import timezone

from kexie.request_context import current_client_ip
from members.models import PersonAccess

BATCH = 2000


def person_access_record(*, viewer, person_ids: Iterable[int | None], org, what: str, detail: str = "") -> int:
    """Record that `viewer` saw each person once (a person listed twice in one export counts once)."""
    ids = sorted({pid for pid in person_ids if pid})
    if not ids:
        return 0
    at, ip = timezone.now(), current_client_ip()
    PersonAccess.objects.bulk_create(
        (PersonAccess(person_id=pid, viewer=viewer, org=org, what=what, detail=detail[:200], at=at, ip=ip)
         for pid in ids),
        batch_size=BATCH,
    )
    return len(ids)
