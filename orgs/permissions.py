"""The permission policy: the only module that talks to django-guardian.

Permissions are granted on organisations only. `administer_org` lets a user act on an org and its whole
subtree; `view_org` (provincial staff) lets them read it. Everything else is derived in orgs.selectors.
"""

from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, QuerySet
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from orgs.models import Org

ADMINISTER = "orgs.administer_org"
VIEW = "orgs.view_org"

# Where a user object keeps its grants for the rest of its life: one request, since AuthenticationMiddleware
# loads the user afresh for every request (and Celery tasks re-fetch by id).
_GRANTS_ATTR = "_kexie_org_grants"
_PLACES_ATTR = "_kexie_org_grant_places"


class Place(NamedTuple):
    """Where a granted org sits in the nested-set tree: its subtree is tree_id with lft..rght."""

    tree_id: int
    lft: int
    rght: int


def _grants(user) -> frozenset[tuple[str, int]]:
    """Every (codename, org id) an active user holds on orgs, directly or through a group, read once.

    A console request asks many times (the middleware, the menu, each scoped selector); reading the grant
    rows once and handing the selectors literal org ids also lets PostgreSQL plan their queries on the
    queue indexes: behind the permission joins it could not estimate the orgs and scanned whole tables.
    The same read notes where each of those orgs sits in the tree (`granted_places`): the scopes of
    orgs.selectors.scope are built from it without reading the orgs again.
    The grant and revoke functions below forget the copy of the user they are given. They are read from the
    primary even on a page that reads a streaming replica (kexie.db_routing), so a revoked grant is never
    honoured while the replica catches up.
    """
    cached = getattr(user, _GRANTS_ATTR, None)
    if cached is None:
        from orgs.models import OrgGroupObjectPermission, OrgUserObjectPermission

        wanted = {"permission__content_type__app_label": "orgs"}
        columns = ("permission__codename", "content_object_id", "content_object__tree_id", "content_object__lft",
                   "content_object__rght")
        rows = list(
            OrgUserObjectPermission.objects.using(DEFAULT_DB_ALIAS).filter(user=user, **wanted)
            .values_list(*columns)
            .union(
                OrgGroupObjectPermission.objects.using(DEFAULT_DB_ALIAS).filter(group__user=user, **wanted)
                .values_list(*columns)
            )
        )
        cached = frozenset((codename, org_id) for codename, org_id, *_place in rows)
        setattr(user, _PLACES_ATTR, {org_id: Place(*place) for _codename, org_id, *place in rows})
        setattr(user, _GRANTS_ATTR, cached)
    return cached


def _forget_grants(user) -> None:
    if getattr(user, _GRANTS_ATTR, None) is not None:
        setattr(user, _GRANTS_ATTR, None)
        setattr(user, _PLACES_ATTR, None)


def _granted_ids(user, codenames) -> list[int]:
    codenames = set(codenames)
    return sorted({org_id for codename, org_id in _grants(user) if codename in codenames})


def _codenames(*, manage: bool) -> list[str]:
    return [p.split(".", 1)[1] for p in ([ADMINISTER] if manage else [ADMINISTER, VIEW])]


def orgs_granted(user, *, manage: bool) -> QuerySet[Org]:
    """Orgs on which the user holds a grant directly (not their descendants)."""
    if not user.is_authenticated or not user.is_active:
        return Org.objects.none()
    token = getattr(user, "service_token", None)
    if token is not None:
        return _service_token_grant(user, token, manage=manage)
    # What guardian's get_objects_for_user(any_perm=True, accept_global_perms=False, with_superuser=False)
    # returns, straight from the direct-foreign-key tables (guardian would look up the permission and content
    # type rows on every call), as a list of ids read once per request.
    return Org.objects.filter(pk__in=_granted_ids(user, _codenames(manage=manage)))


def granted_places(user, *, manage: bool) -> list[Place]:
    """Where the orgs of orgs_granted(user, manage=...) sit in the tree, from the grant read itself (a service
    token's narrowing is read from the database)."""
    if getattr(user, "service_token", None) is not None:
        return [Place(*p) for p in orgs_granted(user, manage=manage).values_list("tree_id", "lft", "rght")]
    if not user.is_authenticated or not user.is_active:
        return []
    granted = _granted_ids(user, _codenames(manage=manage))
    places = getattr(user, _PLACES_ATTR)
    return [places[org_id] for org_id in granted]


def _service_token_grant(user, token, *, manage: bool) -> QuerySet[Org]:
    """A service token acts for its creator, narrowed to the token's organisation (and so its subtree) and
    to its scopes: reading needs any scope, acting needs `decide`. It reaches nothing once the creator no
    longer administers an organisation containing the token's."""
    if manage and "decide" not in token.scopes:
        return Org.objects.none()
    roots = Org.objects.filter(pk__in=_granted_ids(user, _codenames(manage=True)))
    org = token.org
    covered = roots.filter(tree_id=org.tree_id, lft__lte=org.lft, rght__gte=org.rght)
    return Org.objects.filter(pk=org.pk).filter(Exists(covered))


def as_service_token(user, token):
    """The token's creator as the principal of a service-token request: every scoped selector then reaches
    only the token's subtree (orgs_granted above). The instance is never saved."""
    user.service_token = token
    user.is_superuser = False
    return user


def holds_any_grant(user, *, manage: bool) -> bool:
    """Whether the user holds a grant on any org, directly or through a group (the request's one read).

    Asked on every request (the idle-timeout middleware, the console menu)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "service_token", None) is not None:
        return orgs_granted(user, manage=manage).exists()
    return bool(_granted_ids(user, _codenames(manage=manage)))


def grant_administer(user, org: Org) -> None:
    assign_perm(ADMINISTER, user, org)
    _forget_grants(user)


def grant_administer_each(pairs: list[tuple[int, int]]) -> None:
    """Grant `administer_org` for many (user id, org id) pairs in one bulk insert, as `grant_administer`
    would one by one: for generated data over thousands of organisations."""
    from django.contrib.auth.models import Permission

    from orgs.models import OrgUserObjectPermission

    if not pairs:
        return
    app_label, codename = ADMINISTER.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    OrgUserObjectPermission.objects.bulk_create(
        [OrgUserObjectPermission(permission=permission, user_id=u, content_object_id=o) for u, o in pairs],
        batch_size=2_000, ignore_conflicts=True,
    )


def revoke_administer(user, org: Org) -> None:
    remove_perm(ADMINISTER, user, org)
    _forget_grants(user)


def grant_view(user, org: Org) -> None:
    assign_perm(VIEW, user, org)
    _forget_grants(user)


def orgs_administered_by_account(account) -> QuerySet[Org]:
    """Direct administer grants of an account, whether or not it is active (for managing the account)."""
    from orgs.models import OrgUserObjectPermission

    return Org.objects.filter(
        pk__in=OrgUserObjectPermission.objects.filter(
            user=account, permission__codename="administer_org"
        ).values("content_object_id")
    )


def administrators_of(org: Org) -> QuerySet:
    """Accounts holding administer_org directly on this org."""
    return get_users_with_perms(
        org, only_with_perms_in=["administer_org"], with_superusers=False, with_group_users=False
    )


def administered_org_ids_by_user(user_ids: list[int]) -> dict[int, list[int]]:
    """For a page of accounts, the orgs each directly administers (one query)."""
    from orgs.models import OrgUserObjectPermission

    rows = OrgUserObjectPermission.objects.filter(
        user_id__in=user_ids, permission__codename="administer_org"
    ).values_list("user_id", "content_object_id")
    result: dict[int, list[int]] = {}
    for user_id, org_id in rows:
        result.setdefault(user_id, []).append(org_id)
    return result


def account_ids_administering(org_ids: QuerySet) -> QuerySet:
    from orgs.models import OrgUserObjectPermission

    return OrgUserObjectPermission.objects.filter(
        content_object_id__in=org_ids, permission__codename="administer_org"
    ).values("user_id")


# --- 三员: the separated system, security and audit administrators -----------------------------------------


def grant_officer_role(user, org: Org, role: str) -> None:
    assign_perm(f"orgs.{role}", user, org)
    _forget_grants(user)


def revoke_officer_role(user, org: Org, role: str) -> None:
    remove_perm(f"orgs.{role}", user, org)
    _forget_grants(user)


def orgs_with_officer_role(user, role: str) -> QuerySet[Org]:
    """Orgs on which an active user holds the role directly or through a group (not their descendants)."""
    if not user.is_authenticated or not user.is_active:
        return Org.objects.none()
    return Org.objects.filter(pk__in=_granted_ids(user, [role]))


def officer_roles_held(user) -> set[str]:
    """The 三员 roles an active user holds anywhere (the request's one read; asked per request for the menu)."""
    from orgs.models import OfficerRole

    if not user.is_authenticated or not user.is_active:
        return set()
    return {codename for codename, _org_id in _grants(user)} & set(OfficerRole.values)


def account_grants(account) -> list[tuple[str, int]]:
    """Every direct grant of an account as (codename, org id), active or not: the separation-of-duties check."""
    from orgs.models import OrgUserObjectPermission

    return list(
        OrgUserObjectPermission.objects.filter(user=account).values_list("permission__codename", "content_object_id")
    )


def officer_grants_by_user(user_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """For a page of accounts, their 三员 grants as (role, org id) (one query)."""
    from orgs.models import OfficerRole, OrgUserObjectPermission

    rows = OrgUserObjectPermission.objects.filter(
        user_id__in=user_ids, permission__codename__in=OfficerRole.values
    ).values_list("user_id", "permission__codename", "content_object_id")
    result: dict[int, list[tuple[str, int]]] = {}
    for user_id, role, org_id in rows:
        result.setdefault(user_id, []).append((role, org_id))
    return result


def account_ids_with_officer_roles(org_ids: QuerySet) -> QuerySet:
    from orgs.models import OfficerRole, OrgUserObjectPermission

    return OrgUserObjectPermission.objects.filter(
        content_object_id__in=org_ids, permission__codename__in=OfficerRole.values
    ).values("user_id")


def grants_held(user) -> frozenset[tuple[str, int]]:
    """Every (codename, org id) an active user holds (the request's one read): what a cached page that depends
    only on the user's scope is keyed on."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    return _grants(user)


def grant_codenames(user) -> set[str]:
    """Every permission an active user holds on any org, directly or through a group (the request's one read):
    the menu and the idle timeout ask on every request whether the user administers, reads or holds a 三员 role."""
    if not user.is_authenticated or not user.is_active:
        return set()
    return {codename for codename, _org_id in _grants(user)}
