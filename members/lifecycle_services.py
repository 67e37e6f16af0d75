"""Writes of the member lifecycle: grades and the fellow cap, unit members, fees, transfer, lapse and withdrawal."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.errors import DomainError, OutOfScope
from members.models import Fee, FeePayment, MemberNumberCounter, Membership, UnitMember
from members.services import member_number_format, member_number_issue
from members.validators import USCC_CHECKSUM_WARNING, validate_uscc
from orgs.models import Org
from orgs.selectors import orgs_managed_by
from orgs.services import audit_record

LIVE_STATUSES = (Membership.Status.ACTIVE, Membership.Status.PENDING_REREGISTRATION)
# The fellow cap: 会士 may not exceed 1% of an organisation's individual members (rounded down).
FELLOW_CAP_PERCENT = 1

# The one transition table of membership status changes made by administrators (transfer has its own verb).
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    Membership.Status.ACTIVE: frozenset({Membership.Status.LAPSED, Membership.Status.WITHDRAWN}),
    Membership.Status.PENDING_REREGISTRATION: frozenset({Membership.Status.LAPSED, Membership.Status.WITHDRAWN}),
    Membership.Status.LAPSED: frozenset({Membership.Status.ACTIVE, Membership.Status.WITHDRAWN}),
    Membership.Status.WITHDRAWN: frozenset(),
    Membership.Status.TRANSFERRED: frozenset(),
}


def _check_manages(actor, org: Org) -> None:
    if actor.is_superuser:
        return
    if not orgs_managed_by(actor).filter(pk=org.pk).exists():
        raise OutOfScope()


def _progress_changed(*orgs: Org) -> None:
    """Membership and unit counts of these orgs changed: recount their progress after commit."""
    from orgs.services import progress_schedule

    org_ids = [o.pk for o in orgs]
    transaction.on_commit(lambda: progress_schedule(org_ids=org_ids))


def fellow_cap(individual_members: int) -> int:
    return individual_members * FELLOW_CAP_PERCENT // 100


def member_numbers_reserve(*, org: Org, year: int, count: int) -> list[str]:
    """`count` consecutive member numbers for a bulk import: the counter row is locked once and the whole
    range reserved, instead of one locked increment per person. Runs in the caller's transaction."""
    if count <= 0:
        return []
    MemberNumberCounter.objects.bulk_create(
        [MemberNumberCounter(org=org, year=year, last_value=0)], ignore_conflicts=True
    )
    counter = MemberNumberCounter.objects.select_for_update().get(org=org, year=year)
    first = counter.last_value + 1
    counter.last_value += count
    counter.save(update_fields=["last_value"])
    return [member_number_format(org=org, year=year, sequence=n) for n in range(first, first + count)]


# --- grades and categories ---------------------------------------------------------------------------------


def membership_grade_set(*, actor, membership: Membership, grade: str, category: str | None = None) -> Membership:
    """Set a member's grade (and category). Granting 会士 locks the org row first, so concurrent grants in
    the same org queue here and each one counts the fellows the previous one committed."""
    if grade not in Membership.Grade.values:
        raise DomainError(_("请选择有效的会员等级"))
    if category is not None and category not in Membership.Category.values:
        raise DomainError(_("请选择有效的会员类别"))
    with transaction.atomic():
        # Lock order: org, then membership — the same in every lifecycle service.
        org = Org.objects.select_for_update().get(pk=membership.org_id)
        _check_manages(actor, org)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.status not in LIVE_STATUSES:
            raise DomainError(_("该会员当前状态为“%(status)s”，不能调整等级") % {"status": membership.get_status_display()})
        category = category or membership.category
        if membership.grade == grade and membership.category == category:
            return membership
        if grade == Membership.Grade.FELLOW and membership.grade != Membership.Grade.FELLOW:
            live = Membership.objects.filter(org=org, status__in=LIVE_STATUSES)
            members = live.count()
            fellows = live.filter(grade=Membership.Grade.FELLOW).count()
            cap = fellow_cap(members)
            if fellows >= cap:
                raise DomainError(
                    _("会士名额已满：会士不得超过本组织个人会员数的1%%（现有会员 %(members)s 人，上限 %(cap)s 人，已有会士 %(fellows)s 人）")
                    % {"members": members, "cap": cap, "fellows": fellows}
                )
        before = {"grade": membership.grade, "category": membership.category}
        membership.grade = grade
        membership.category = category
        membership.save(update_fields=["grade", "category", "updated_at"])
        audit_record(
            actor=actor,
            action="membership.grade",
            obj=membership,
            org=org,
            data={"before": before, "after": {"grade": grade, "category": category}},
        )
    return membership


# --- unit members ---------------------------------------------------------------------------------------------


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
        _check_manages(actor, org)
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
        _progress_changed(org)
    return unit


def membership_unit_link(*, actor, membership: Membership, unit: UnitMember | None) -> Membership:
    """Link an individual member to the unit member they belong to (or unlink with unit=None)."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("org").get(pk=membership.pk)
        _check_manages(actor, membership.org)
        if unit is not None:
            _check_manages(actor, unit.org)
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


# --- fees -------------------------------------------------------------------------------------------------------


def fee_set(*, actor, org: Org, category: str, year: int, amount: Decimal) -> Fee:
    """Set the annual fee of an org for a category; zero is allowed and means 暂时不收取会费."""
    if category not in Membership.Category.values:
        raise DomainError(_("请选择有效的会员类别"))
    if amount is None or amount < 0:
        raise DomainError(_("会费金额不能为负数"))
    with transaction.atomic():
        _check_manages(actor, org)
        fee, created = Fee.objects.select_for_update().get_or_create(
            org=org, category=category, year=year, defaults={"amount": amount}
        )
        before = None if created else str(fee.amount)
        if not created and fee.amount != amount:
            fee.amount = amount
            fee.save(update_fields=["amount", "updated_at"])
        audit_record(
            actor=actor, action="fee.set", obj=fee, org=org, data={"before": before, "after": str(amount)}
        )
    return fee


def fee_due(*, membership: Membership, year: int) -> Fee | None:
    return Fee.objects.filter(org_id=membership.org_id, category=membership.category, year=year).first()


def fee_payment_record(
    *,
    actor,
    membership: Membership,
    year: int,
    kind: str,
    amount: Decimal | None = None,
    paid_on: date | None = None,
    note: str = "",
) -> FeePayment:
    """Record that a member paid the year's fee, or was exempted (免缴, with a note saying why)."""
    if kind not in FeePayment.Kind.values:
        raise DomainError(_("请选择缴纳方式"))
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("org").get(pk=membership.pk)
        _check_manages(actor, membership.org)
        fee = fee_due(membership=membership, year=year)
        if fee is None:
            raise DomainError(_("尚未设置 %(year)s 年度该类别会员的会费标准") % {"year": year})
        if fee.is_waived:
            raise DomainError(_("%(year)s 年度暂时不收取会费，无需登记") % {"year": year})
        if FeePayment.objects.filter(membership=membership, year=year).exists():
            raise DomainError(_("该会员 %(year)s 年度的会费已登记") % {"year": year})
        if kind == FeePayment.Kind.PAID:
            amount = fee.amount if amount is None else amount
            if amount != fee.amount:
                raise DomainError(_("缴纳金额应为 %(amount)s 元") % {"amount": fee.amount})
        else:
            amount = Decimal("0")
            if not note.strip():
                raise DomainError(_("登记免缴时请填写免缴原因"))
        payment = FeePayment.objects.create(
            membership=membership,
            year=year,
            kind=kind,
            amount=amount,
            paid_on=paid_on or timezone.localdate(),
            note=note.strip(),
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action=f"fee.{kind}",
            obj=membership,
            org=membership.org,
            comment=payment.note,
            data={"year": year, "amount": str(amount)},
        )
    return payment


# --- transfer, lapse, withdrawal ----------------------------------------------------------------------------


def membership_transfer(*, actor, membership: Membership, target_org: Org, comment: str = "") -> Membership:
    """Move a member to another org the actor also manages: the old membership becomes 已转出 and the
    target org admits them with a new number from its own sequence."""
    if membership.org_id == target_org.pk:
        raise DomainError(_("转入组织与当前组织相同"))
    with transaction.atomic():
        # Both org rows locked in id order so two opposite transfers cannot deadlock.
        orgs = {o.pk: o for o in Org.objects.select_for_update().filter(pk__in=[membership.org_id, target_org.pk]).order_by("pk")}
        source, target = orgs[membership.org_id], orgs[target_org.pk]
        _check_manages(actor, source)
        _check_manages(actor, target)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.status not in LIVE_STATUSES:
            raise DomainError(_("只有有效或待重新登记的会员可以转会"))
        if Membership.objects.filter(person_id=membership.person_id, org=target, status__in=LIVE_STATUSES).exists():
            raise DomainError(_("该人员已是“%(org)s”的会员") % {"org": target.name})
        grade, old_status = membership.grade, membership.status
        if grade == Membership.Grade.FELLOW:
            live = Membership.objects.filter(org=target, status__in=LIVE_STATUSES)
            if live.filter(grade=Membership.Grade.FELLOW).count() >= fellow_cap(live.count() + 1):
                raise DomainError(_("转入组织的会士名额已满，请先调整该会员的等级"))
        membership.status = Membership.Status.TRANSFERRED
        membership.save(update_fields=["status", "updated_at"])
        today = timezone.localdate()
        new = Membership.objects.create(
            person_id=membership.person_id,
            org=target,
            level=target.level,
            number=member_number_issue(org=target, year=today.year),
            grade=grade,
            category=membership.category,
            # Someone still to re-register stays so in the new org: the transfer does not confirm their data.
            status=old_status,
            joined_on=today,
        )
        data = {"from_membership": membership.pk, "to_membership": new.pk, "from_org": source.pk, "to_org": target.pk}
        # One row on each side so both organisations' trails show the move.
        audit_record(actor=actor, action="membership.transfer_out", obj=membership, org=source, comment=comment, data=data)
        audit_record(actor=actor, action="membership.transfer_in", obj=new, org=target, comment=comment, data=data)
        _progress_changed(source, target)
    return new


def membership_status_set(*, actor, membership: Membership, status: str, comment: str = "") -> Membership:
    """Lapse (失效), withdraw (退会) or reinstate a member, following STATUS_TRANSITIONS."""
    with transaction.atomic():
        # Org row first, as in membership_grade_set: reinstating a fellow competes for the same places.
        org = Org.objects.select_for_update().get(pk=membership.org_id)
        _check_manages(actor, org)
        membership = Membership.objects.select_for_update().select_related("org").get(pk=membership.pk)
        if status not in STATUS_TRANSITIONS.get(membership.status, ()):
            raise DomainError(
                _("会员状态不能从“%(from)s”变为“%(to)s”")
                % {"from": membership.get_status_display(), "to": Membership.Status(status).label if status in Membership.Status.values else status}
            )
        if status == Membership.Status.ACTIVE and membership.grade == Membership.Grade.FELLOW:
            live = Membership.objects.filter(org_id=membership.org_id, status__in=LIVE_STATUSES)
            if live.filter(grade=Membership.Grade.FELLOW).count() >= fellow_cap(live.count() + 1):
                raise DomainError(_("会士名额已满，恢复前请先调整该会员的等级"))
        before = membership.status
        membership.status = status
        membership.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=f"membership.{status}",
            obj=membership,
            org=membership.org,
            comment=comment,
            data={"before": before, "after": status},
        )
        _progress_changed(membership.org)
    return membership


# --- exports: each one is audited in the same transaction that reads the rows --------------------------------


def memberships_export(*, actor, memberships, scope_org: Org, filters: dict) -> bytes:
    """The member directory as it is filtered on screen, as an Excel file with masked ID numbers."""
    from members.lifecycle_exports import members_workbook

    with transaction.atomic():
        content, count = members_workbook(memberships)
        audit_record(actor=actor, action="export.members", obj=scope_org, org=scope_org, data={"rows": count, "filters": filters})
    return content


def census_errors_export(*, actor, census, error_rows, fmt: str = "xlsx") -> bytes:
    from members.lifecycle_exports import census_errors_file

    with transaction.atomic():
        content = census_errors_file(error_rows, fmt=fmt)
        audit_record(actor=actor, action="export.census_errors", obj=census, org=census.org, data={"format": fmt})
    return content


def annual_report_export(*, actor, report) -> bytes:
    from members.lifecycle_exports import annual_report_workbook

    with transaction.atomic():
        content = annual_report_workbook(report)
        audit_record(
            actor=actor,
            action="export.annual_report",
            obj=report.org,
            org=report.org,
            data={"year": report.year, "subtree": report.subtree},
        )
    return content
