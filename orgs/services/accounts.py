"""Administrator and provincial staff accounts: created and deactivated only inside the actor's scope."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils.translation import gettext as _

from kexie.errors import DomainError, OutOfScope
from orgs import permissions
from orgs.models import Org
from orgs.selectors.scope import orgs_below_managed
from orgs.services.audit import audit_record


def _account_fields_check(*, username: str, mobile: str | None, password: str, full_name: str) -> None:
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise DomainError(_("用户名“%(username)s”已被使用") % {"username": username})
    if mobile and User.objects.filter(mobile=mobile).exists():
        raise DomainError(_("该手机号码已绑定其他账号"))
    validate_password(password, User(username=username, full_name=full_name))


def admin_account_create(
    *,
    actor,
    org: Org,
    username: str,
    full_name: str,
    password: str,
    mobile: str | None = None,
    email: str = "",
):
    """Create an administrator for `org`, which must lie strictly below an org the actor administers."""
    User = get_user_model()
    if not actor.is_superuser and not orgs_below_managed(actor).filter(pk=org.pk).exists():
        raise OutOfScope()
    with transaction.atomic():
        _account_fields_check(username=username, mobile=mobile, password=password, full_name=full_name)
        account = User(username=username, full_name=full_name, mobile=mobile or None, email=email, created_by=actor)
        account.set_password(password)
        # An initial password someone else chose: the holder replaces it at the first sign-in.
        account.password_changed_at = None
        account.save()
        permissions.grant_administer(account, org)
        audit_record(actor=actor, action="admin_account.create", obj=account, org=org, data={"username": username})
    return account


def _account_in_actor_scope(actor, account) -> list[Org]:
    """The orgs the account administers, provided all of them lie below the actor's administered orgs."""
    granted = list(permissions.orgs_administered_by_account(account))
    if not granted or account.is_superuser:
        raise OutOfScope()
    if actor.is_superuser:
        return granted
    allowed = orgs_below_managed(actor)
    if allowed.filter(pk__in=[o.pk for o in granted]).count() != len(granted):
        raise OutOfScope()
    return granted


def admin_account_set_active(*, actor, account, active: bool):
    with transaction.atomic():
        User = get_user_model()
        account = User.objects.select_for_update().get(pk=account.pk)
        orgs = _account_in_actor_scope(actor, account)
        if account.pk == actor.pk:
            raise DomainError(_("不能停用自己的账号"))
        if account.is_active == active:
            return account
        account.is_active = active
        account.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="admin_account.activate" if active else "admin_account.deactivate",
            obj=account,
            org=orgs[0],
        )
    return account


def staff_account_create(*, actor, username: str, full_name: str, department: str, password: str, mobile=None):
    """Provincial staff: read-only over the whole province. Only a province-level administrator creates them."""
    User = get_user_model()
    roots = [o for o in permissions.orgs_granted(actor, manage=True) if o.parent_id is None]
    if actor.is_superuser and not roots:
        roots = list(Org.objects.filter(parent__isnull=True))
    if not roots:
        raise OutOfScope()
    if department not in User.Department.values:
        raise DomainError(_("请选择所属部门"))
    with transaction.atomic():
        _account_fields_check(username=username, mobile=mobile, password=password, full_name=full_name)
        account = User(
            username=username, full_name=full_name, department=department, mobile=mobile or None, created_by=actor
        )
        account.set_password(password)
        account.password_changed_at = None
        account.save()
        for root in roots:
            permissions.grant_view(account, root)
        audit_record(
            actor=actor, action="staff_account.create", obj=account, org=roots[0], data={"department": department}
        )
    return account


def _account_managed_by(actor, account) -> Org:
    """The org under which `actor` manages `account` (an administrator below them, or provincial staff for a
    province administrator); raises OutOfScope otherwise, as for a missing account."""
    if account.department and not account.is_superuser:
        roots = [o for o in permissions.orgs_granted(actor, manage=True) if o.parent_id is None]
        if actor.is_superuser and not roots:
            roots = list(Org.objects.filter(parent__isnull=True))
        if not roots:
            raise OutOfScope()
        return roots[0]
    return _account_in_actor_scope(actor, account)[0]


def admin_account_two_factor_reset(*, actor, account):
    """Remove a lost authenticator and its recovery codes, so the account enrols again at its next sign-in.

    Only an administrator of an organisation above the account's (the province for staff) may do it, never
    for their own account, and it is audited."""
    from orgs.services.two_factor import two_factor_devices_remove

    User = get_user_model()
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        org = _account_managed_by(actor, account)
        if account.pk == actor.pk:
            raise DomainError(_("不能重置自己的双因素认证"))
        removed = two_factor_devices_remove(account=account)
        audit_record(
            actor=actor, action="admin_account.two_factor_reset", obj=account, org=org, data={"had_authenticator": bool(removed)}
        )
    return account
