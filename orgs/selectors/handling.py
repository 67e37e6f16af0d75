"""Handling time limits (办理时限): the number of working days an organisation has to decide an application."""

from django.conf import settings

from orgs.models import Org


def handling_days_default() -> int:
    return settings.KEXIE_HANDLING_DAYS_DEFAULT


def handling_days_of(org: Org) -> int:
    """The limit that applies to `org`: its own, else the nearest ancestor's, else the setting."""
    for ancestor in org.get_ancestors(ascending=True, include_self=True).only("handling_days"):
        if ancestor.handling_days:
            return ancestor.handling_days
    return handling_days_default()


def handling_days_by_org() -> dict[int, int]:
    """The limit of every organisation in one query, for jobs that walk many applications."""
    rows = list(Org.objects.order_by("tree_id", "lft").values_list("pk", "parent_id", "handling_days"))
    result: dict[int, int] = {}
    default = handling_days_default()
    # Tree order puts every parent before its children.
    for pk, parent_id, own in rows:
        result[pk] = own or result.get(parent_id, default)
    return result
