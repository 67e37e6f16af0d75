"""The tenancy scope: which organisations a user may see or act on. Every list, detail, count, export and
task that touches people starts here."""

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.http import Http404

from orgs import permissions
from orgs.models import Org


def _subtrees_of(roots: list[permissions.Place] | list[Org]) -> QuerySet[Org]:
    if not roots:
        return Org.objects.none()
    return Org.objects.filter(
        reduce(or_, (Q(tree_id=r.tree_id, lft__gte=r.lft, rght__lte=r.rght) for r in roots))
    )


def orgs_visible_to(user) -> QuerySet[Org]:
    """Orgs the user may read: granted orgs (administer or view) and all their descendants."""
    return _subtrees_of(permissions.granted_places(user, manage=False))


def orgs_granted_directly(user) -> QuerySet[Org]:
    """Orgs the user holds a grant on, without their descendants: a list's scope before "include the subtree"."""
    return permissions.orgs_granted(user, manage=False)


def orgs_administered_directly(user) -> QuerySet[Org]:
    """Orgs the user administers by a grant of their own, without descendants: whose work waits for them."""
    return permissions.orgs_granted(user, manage=True)


def orgs_managed_by(user) -> QuerySet[Org]:
    """Orgs the user may act on: orgs it administers and all their descendants."""
    return _subtrees_of(permissions.granted_places(user, manage=True))


def orgs_below_managed(user) -> QuerySet[Org]:
    """Orgs strictly below the administered ones: where this user may create administrator accounts."""
    roots = permissions.granted_places(user, manage=True)
    if not roots:
        return Org.objects.none()
    return Org.objects.filter(
        reduce(or_, (Q(tree_id=r.tree_id, lft__gt=r.lft, rght__lt=r.rght) for r in roots))
    )


def orgs_administered_have_children(user) -> bool:
    """Whether an org the user administers has orgs below it: orgs_below_managed(user).exists(), answered by
    the request's one read of the grants (asked on every console page, for the menu)."""
    # In the nested-set tree an org has orgs below it when rght > lft + 1.
    return any(place.rght > place.lft + 1 for place in permissions.granted_places(user, manage=True))


def scope_identity(user) -> tuple:
    """What every scope above is made of, as a value: the user's grants and a service token's narrowing. Users
    with the same identity see and manage the same orgs, so a figure cached for one scope is keyed on it."""
    token = getattr(user, "service_token", None)
    return tuple(sorted(permissions.grants_held(user))), token.pk if token is not None else None


def org_visible_or_404(user, org_id) -> Org:
    """Out of scope and nonexistent look the same."""
    try:
        return orgs_visible_to(user).get(pk=org_id)
    except (Org.DoesNotExist, ValueError, TypeError):
        raise Http404


def org_managed_or_404(user, org_id) -> Org:
    try:
        return orgs_managed_by(user).get(pk=org_id)
    except (Org.DoesNotExist, ValueError, TypeError):
        raise Http404


def list_scope_org_or_404(user, org: Org | None) -> Org:
    """The org a filtered list or export is about: the chosen one, else the first the user is granted directly."""
    scope = org or orgs_granted_directly(user).order_by("tree_id", "lft").first()
    if scope is None:
        raise Http404
    return scope


def can_manage_org(user, org: Org) -> bool:
    """Whether the user may act on `org` (pages show or hide their forms by this; services check again)."""
    return user.is_superuser or orgs_managed_by(user).filter(pk=org.pk).exists()


def orgs_in_officer_scope(user, role: str) -> QuerySet[Org]:
    """Orgs a 三员 officer covers: the orgs it holds `role` on and all their descendants."""
    return _subtrees_of(list(permissions.orgs_with_officer_role(user, role).only("tree_id", "lft", "rght")))


def orgs_with_accounts_managed_by(user) -> QuerySet[Org]:
    """Orgs whose accounts the user may create and deactivate: strictly below the orgs it administers, and the
    whole subtree of a 安全管理员 grant."""
    from orgs.models import OfficerRole

    if user.is_superuser:
        return Org.objects.all()
    below = orgs_below_managed(user).values("pk")
    secured = orgs_in_officer_scope(user, OfficerRole.SECURITY).values("pk")
    return Org.objects.filter(Q(pk__in=below) | Q(pk__in=secured))
