"""The member directory and a member's page: scoped memberships, and the fellow places of an organisation."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from kexie.pagination import PagesByGroup
from members.models import Membership
from members.services.memberships import LIVE_STATUSES, fellow_cap
from orgs.models import Org
from orgs.selectors.scope import orgs_granted_directly, orgs_managed_by, orgs_visible_to


# The directory's order: organisations in tree order, then member number (NULL last, as PostgreSQL sorts).
DIRECTORY_ORG_ORDER_ON_ORG = ("tree_id", "lft")
DIRECTORY_ORG_ORDER = tuple(f"org__{name}" for name in DIRECTORY_ORG_ORDER_ON_ORG)
DIRECTORY_WITHIN_ORG = ("number", "id")


def memberships_visible_to(user) -> QuerySet[Membership]:
    return Membership.objects.filter(org__in=orgs_visible_to(user))


def membership_visible_or_404(user, membership_id) -> Membership:
    try:
        return memberships_visible_to(user).select_related("person", "org", "unit").get(pk=membership_id)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404


def membership_managed_or_404(user, membership_id) -> Membership:
    try:
        return (
            Membership.objects.filter(org__in=orgs_managed_by(user))
            .select_related("person", "org", "org__parent")
            .get(pk=membership_id)
        )
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404


def directory_scope(user, *, org: Org | None = None, include_subtree: bool = False) -> QuerySet[Org]:
    """Orgs whose members the directory lists. `org` must already be one the user may see; without it the
    list starts from the orgs the user holds a grant on, and "include the subtree" widens it to all visible."""
    if org is not None:
        return Org.objects.in_subtree(org) if include_subtree else Org.objects.filter(pk=org.pk)
    return orgs_visible_to(user) if include_subtree else orgs_granted_directly(user)


def member_directory(
    user, *, org: Org | None = None, include_subtree: bool = False, status: str = "", search: str = ""
) -> QuerySet[Membership]:
    """The member directory: memberships in the scope above, by status, searched by name, mobile or number."""
    qs = Membership.objects.filter(org__in=directory_scope(user, org=org, include_subtree=include_subtree))
    if status:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(person__name__icontains=search) | Q(person__mobile__contains=search) | Q(number__icontains=search)
        )
    return qs.select_related("person", "org", "unit").order_by(*DIRECTORY_ORG_ORDER, *DIRECTORY_WITHIN_ORG)


def directory_pages(members: QuerySet[Membership]) -> PagesByGroup:
    """`member_directory` as the page reads it: each page from the organisations it overlaps, by index
    (membership_org_number_idx), instead of sorting every member of the subtree."""
    return PagesByGroup(members, group="org_id", order_groups=_in_tree_order, within=DIRECTORY_WITHIN_ORG)


def _in_tree_order(org_ids: list[int]) -> list[int]:
    return list(Org.objects.filter(pk__in=org_ids).order_by(*DIRECTORY_ORG_ORDER_ON_ORG).values_list("pk", flat=True))


# --- fellows ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FellowPlaces:
    members: int
    fellows: int
    cap: int

    @property
    def remaining(self) -> int:
        return max(self.cap - self.fellows, 0)


def fellow_places(org: Org) -> FellowPlaces:
    counts = Membership.objects.filter(org=org, status__in=LIVE_STATUSES).aggregate(
        members=Count("id"), fellows=Count("id", filter=Q(grade=Membership.Grade.FELLOW))
    )
    return FellowPlaces(members=counts["members"], fellows=counts["fellows"], cap=fellow_cap(counts["members"]))
