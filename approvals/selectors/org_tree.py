"""The organisation tree page: the visible subtree with member and pending-application counts."""

from django.db.models import Count

from approvals.models import Application
from members.models import Membership
from orgs.models import Org
from orgs.selectors.scope import orgs_visible_to


def org_tree_with_counts(user) -> list[Org]:
    """The visible subtree in tree order, each org annotated with member, pending and child counts."""
    orgs = list(orgs_visible_to(user).order_by("tree_id", "lft"))
    ids = [o.pk for o in orgs]
    members = dict(
        Membership.objects.active().filter(org_id__in=ids).values_list("org_id").annotate(n=Count("id"))
    )
    pending = dict(
        Application.objects.filter(org_id__in=ids, status=Application.Status.SUBMITTED)
        .values_list("org_id")
        .annotate(n=Count("id"))
    )
    visible = set(ids)
    for org in orgs:
        org.member_count = members.get(org.pk, 0)
        org.pending_count = pending.get(org.pk, 0)
        org.descendant_total = (org.rght - org.lft - 1) // 2
        org.parent_visible = org.parent_id in visible
    return orgs
