"""Reads about administrator and staff accounts: roles and the accounts a user may manage."""

from orgs import permissions
from orgs.models import Org
from orgs.selectors.scope import orgs_below_managed


def is_administrator(user) -> bool:
    return permissions.holds_any_grant(user, manage=True)


def is_provincial_staff(user) -> bool:
    return bool(getattr(user, "department", "")) and permissions.holds_any_grant(user, manage=False)


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


def accounts_with_two_factor(account_ids: list[int]) -> set[int]:
    """Which of these accounts have a confirmed authenticator (one query, for a page of accounts)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return set(TOTPDevice.objects.filter(user_id__in=account_ids, confirmed=True).values_list("user_id", flat=True))


def administrators_to_notify(org: Org) -> list:
    """Active administrator accounts granted on this org itself: who receives its reminders."""
    return list(permissions.administrators_of(org).filter(is_active=True).order_by("pk"))
