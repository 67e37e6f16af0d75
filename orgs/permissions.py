"""The permission policy: the only module that talks to django-guardian.

Permissions are granted on organisations only. `administer_org` lets a user act on an org and its whole
subtree; `view_org` (provincial staff) lets them read it. Everything else is derived in orgs.selectors.
"""

from django.db.models import Exists, Q, QuerySet
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from orgs.models import Org

ADMINISTER = "orgs.administer_org"
VIEW = "orgs.view_org"


def orgs_granted(user, *, manage: bool) -> QuerySet[Org]:
    """Orgs on which the user holds a grant directly (not their descendants)."""
    if not user.is_authenticated or not user.is_active:
        return Org.objects.none()
    token = getattr(user, "service_token", None)
    if token is not None:
        return _service_token_grant(user, token, manage=manage)
    # What guardian's get_objects_for_user(any_perm=True, accept_global_perms=False, with_superuser=False)
    # returns, straight from the direct-foreign-key tables: guardian would first look up the permission and
    # content type rows on every call, and this runs several times per console request.
    direct, via_group = _grant_rows(user, manage=manage)
    return Org.objects.filter(
        Q(pk__in=direct.values("content_object_id")) | Q(pk__in=via_group.values("content_object_id"))
    )


def _service_token_grant(user, token, *, manage: bool) -> QuerySet[Org]:
    """A service token acts for its creator, narrowed to the token's organisation (and so its subtree) and
    to its scopes: reading needs any scope, acting needs `decide`. It reaches nothing once the creator no
    longer administers an organisation containing the token's."""
    if manage and "decide" not in token.scopes:
        return Org.objects.none()
    direct, via_group = _grant_rows(user, manage=True)
    roots = Org.objects.filter(
        Q(pk__in=direct.values("content_object_id")) | Q(pk__in=via_group.values("content_object_id"))
    )
    org = token.org
    covered = roots.filter(tree_id=org.tree_id, lft__lte=org.lft, rght__gte=org.rght)
    return Org.objects.filter(pk=org.pk).filter(Exists(covered))


def as_service_token(user, token):
    """The token's creator as the principal of a service-token request: every scoped selector then reaches
    only the token's subtree (orgs_granted above). The instance is never saved."""
    user.service_token = token
    user.is_superuser = False
    return user


def _grant_rows(user, *, manage: bool):
    from orgs.models import OrgGroupObjectPermission, OrgUserObjectPermission

    codenames = [p.split(".", 1)[1] for p in ([ADMINISTER] if manage else [ADMINISTER, VIEW])]
    wanted = {"permission__content_type__app_label": "orgs", "permission__codename__in": codenames}
    return (
        OrgUserObjectPermission.objects.filter(user=user, **wanted),
        OrgGroupObjectPermission.objects.filter(group__user=user, **wanted),
    )


def holds_any_grant(user, *, manage: bool) -> bool:
    """Whether the user holds a grant on any org, directly or through a group, in one query.

    Asked on every request (the idle-timeout middleware, the console menu); guardian's queryset would also
    look up the permission and content type rows each time.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "service_token", None) is not None:
        return orgs_granted(user, manage=manage).exists()
    direct, via_group = _grant_rows(user, manage=manage)
    return direct.values("pk").union(via_group.values("pk")).exists()


def grant_administer(user, org: Org) -> None:
    assign_perm(ADMINISTER, user, org)


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


def grant_view(user, org: Org) -> None:
    assign_perm(VIEW, user, org)


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


def _officer_rows(user, roles):
    from orgs.models import OrgGroupObjectPermission, OrgUserObjectPermission

    wanted = {"permission__content_type__app_label": "orgs", "permission__codename__in": list(roles)}
    return (
        OrgUserObjectPermission.objects.filter(user=user, **wanted),
        OrgGroupObjectPermission.objects.filter(group__user=user, **wanted),
    )


def grant_officer_role(user, org: Org, role: str) -> None:
    assign_perm(f"orgs.{role}", user, org)


def revoke_officer_role(user, org: Org, role: str) -> None:
    remove_perm(f"orgs.{role}", user, org)


def orgs_with_officer_role(user, role: str) -> QuerySet[Org]:
    """Orgs on which an active user holds the role directly or through a group (not their descendants)."""
    if not user.is_authenticated or not user.is_active:
        return Org.objects.none()
    direct, via_group = _officer_rows(user, [role])
    return Org.objects.filter(
        Q(pk__in=direct.values("content_object_id")) | Q(pk__in=via_group.values("content_object_id"))
    )


def officer_roles_held(user) -> set[str]:
    """The 三员 roles an active user holds anywhere, in one query (asked per request for the menu)."""
    from orgs.models import OfficerRole

    if not user.is_authenticated or not user.is_active:
        return set()
    direct, via_group = _officer_rows(user, OfficerRole.values)
    return set(
        direct.values_list("permission__codename", flat=True).union(
            via_group.values_list("permission__codename", flat=True)
        )
    )


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


def grant_codenames(user) -> set[str]:
    """Every permission an active user holds on any org, directly or through a group, in one query: the menu and
    the idle timeout ask on every request whether the user administers, reads or holds a 三员 role."""
    from orgs.models import OrgGroupObjectPermission, OrgUserObjectPermission

    if not user.is_authenticated or not user.is_active:
        return set()
    wanted = {"permission__content_type__app_label": "orgs"}
    return set(
        OrgUserObjectPermission.objects.filter(user=user, **wanted)
        .values_list("permission__codename", flat=True)
        .union(
            OrgGroupObjectPermission.objects.filter(group__user=user, **wanted).values_list(
                "permission__codename", flat=True
            )
        )
    )
