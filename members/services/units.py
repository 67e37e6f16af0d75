"""Unit members (团体会员) and the link of an individual member to their unit."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.errors import DomainError
from kexie.validators import USCC_CHECKSUM_WARNING, validate_uscc
from members.models import Membership, UnitMember
from members.services.memberships import org_manage_check, progress_changed
from orgs.models import Org
from orgs.services.audit import audit_record


def unit_member_create(
    *,
    actor,
    org: Org,
    name: str,
    uscc: str,
    override_reason: str = "",
    contact_name: str = "",
    contact_mobile: str = "",
    joined_on: date | None = None,
) -> UnitMember:
    """Enter a unit member. A malformed code is refused; a failing check digit needs the admin's written reason."""
    try:
        result = validate_uscc(uscc)
    except ValidationError as exc:
        raise DomainError(exc.messages[0]) from None
    override_reason = override_reason.strip()
    if not result.checksum_ok and not override_reason:
        raise DomainError(USCC_CHECKSUM_WARNING)
    name = name.strip()
    if not name:
        raise DomainError(_("请填写单位名称"))
    with transaction.atomic():
        org = Org.objects.select_for_update().get(pk=org.pk)
        org_manage_check(actor, org)
        if UnitMember.objects.filter(org=org, uscc=result.code).exists():
            raise DomainError(_("该统一社会信用代码的单位已是本组织的团体会员"))
        unit = UnitMember.objects.create(
            org=org,
            name=name,
            uscc=result.code,
            uscc_checksum_ok=result.checksum_ok,
            uscc_override_reason="" if result.checksum_ok else override_reason,
            contact_name=contact_name,
            contact_mobile=contact_mobile,
            joined_on=joined_on or timezone.localdate(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="unit_member.create",
            obj=unit,
            org=org,
            comment=unit.uscc_override_reason,
            data={"uscc": unit.uscc, "checksum_ok": result.checksum_ok},
        )
        progress_changed(org)
    return unit


def membership_unit_link(*, actor, membership: Membership, unit: UnitMember | None) -> Membership:
    """Link an individual member to the unit member they belong to (or unlink with unit=None)."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("org").get(pk=membership.pk)
        org_manage_check(actor, membership.org)
        if unit is not None:
            org_manage_check(actor, unit.org)
            if unit.status != UnitMember.Status.ACTIVE:
                raise DomainError(_("该团体会员已退会，不能关联"))
        membership.unit = unit
        membership.save(update_fields=["unit", "updated_at"])
        audit_record(
            actor=actor,
            action="membership.unit",
            obj=membership,
            org=membership.org,
            data={"unit_id": unit.pk if unit else None},
        )
    return membership
