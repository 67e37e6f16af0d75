"""Reads that scope by organisation. Every list, detail, count, export and task starts here."""

from functools import reduce
from operator import or_

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from orgs import permissions
from orgs.models import Org


def _subtrees_of(roots: list[Org]) -> QuerySet[Org]:
    if not roots:
        return Org.objects.none()
    return Org.objects.filter(
        reduce(or_, (Q(tree_id=r.tree_id, lft__gte=r.lft, rght__lte=r.rght) for r in roots))
    )


def orgs_visible_to(user) -> QuerySet[Org]:
    """Orgs the user may read: granted orgs (administer or view) and all their descendants."""
    return _subtrees_of(list(permissions.orgs_granted(user, manage=False).only("tree_id", "lft", "rght")))


def orgs_managed_by(user) -> QuerySet[Org]:
    """Orgs the user may act on: orgs it administers and all their descendants."""
    return _subtrees_of(list(permissions.orgs_granted(user, manage=True).only("tree_id", "lft", "rght")))


def orgs_below_managed(user) -> QuerySet[Org]:
    """Orgs strictly below the administered ones: where this user may create administrator accounts."""
    roots = list(permissions.orgs_granted(user, manage=True).only("tree_id", "lft", "rght"))
    if not roots:
        return Org.objects.none()
    return Org.objects.filter(
        reduce(or_, (Q(tree_id=r.tree_id, lft__gt=r.lft, rght__lt=r.rght) for r in roots))
    )


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


def is_administrator(user) -> bool:
    return permissions.orgs_granted(user, manage=True).exists()


def is_provincial_staff(user) -> bool:
    return bool(getattr(user, "department", "")) and permissions.orgs_granted(user, manage=False).exists()


def org_tree_with_counts(user) -> list[Org]:
    """The visible subtree in tree order, each org annotated with member, pending and child counts."""
    from approvals.models import Application
    from members.models import Membership

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


def is_province_administrator(user) -> bool:
    """Administers a root org (the province): may create provincial staff accounts."""
    if user.is_superuser:
        return True
    return permissions.orgs_granted(user, manage=True).filter(parent__isnull=True).exists()


def administrators_of_visible(user, org: Org):
    """Administrator accounts of an org the user can already see (the caller has checked `org`)."""
    return permissions.administrators_of(org).order_by("username")


def admin_accounts_manageable_by(user):
    """Administrator accounts of orgs strictly below the user's administered orgs, with those orgs attached."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    below = orgs_below_managed(user) if not user.is_superuser else Org.objects.all()
    accounts = list(
        User.objects.filter(pk__in=permissions.account_ids_administering(below.values("pk")))
        .order_by("username")
    )
    grants = permissions.administered_org_ids_by_user([a.pk for a in accounts])
    org_names = dict(Org.objects.filter(pk__in={i for ids in grants.values() for i in ids}).values_list("pk", "name"))
    for account in accounts:
        account.org_names = [org_names[i] for i in grants.get(account.pk, [])]
    staff = []
    if is_province_administrator(user):
        staff = list(User.objects.exclude(department="").order_by("username"))
        for account in staff:
            account.org_names = [account.get_department_display()]
    return accounts + staff
