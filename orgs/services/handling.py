"""Setting an organisation's handling time limit: the level above decides it for the organisation's subtree."""

from django.db import transaction
from django.utils.translation import gettext as _

from kexie.errors import DomainError, OutOfScope
from orgs.models import Org
from orgs.selectors.scope import orgs_below_managed
from orgs.services.audit import audit_record

HANDLING_DAYS_MAX = 120


def org_handling_days_set(*, actor, org: Org, days: int | None) -> Org:
    """Set (or clear, with None) the limit of an org strictly below the actor's administered orgs; it applies to
    the org and every descendant that has no limit of its own."""
    if not actor.is_superuser and not orgs_below_managed(actor).filter(pk=org.pk).exists():
        raise OutOfScope()
    if days is not None and not (isinstance(days, int) and 1 <= days <= HANDLING_DAYS_MAX):
        raise DomainError(_("办理时限应为 1 至 %(max)s 个工作日") % {"max": HANDLING_DAYS_MAX})
    with transaction.atomic():
        org = Org.objects.select_for_update().get(pk=org.pk)
        old = org.handling_days
        if old == days:
            return org
        org.handling_days = days
        org.save(update_fields=["handling_days"])
        audit_record(actor=actor, action="org.handling_days", obj=org, org=org, data={"old": old, "new": days})
    return org
