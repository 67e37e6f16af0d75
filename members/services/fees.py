"""Annual fees: the amount per organisation, category and year, and each member's payment or exemption."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.errors import DomainError
from members.models import Fee, FeeInstructions, FeePayment, Membership
from members.services.memberships import org_manage_check, progress_changed
from orgs.models import Org
from orgs.services.audit import audit_record


def fee_set(*, actor, org: Org, category: str, year: int, amount: Decimal) -> Fee:
    """Set the annual fee of an org for a category; zero is allowed and means 暂时不收取会费."""
    if category not in Membership.Category.values:
        raise DomainError(_("请选择有效的会员类别"))
    if amount is None or amount < 0:
        raise DomainError(_("会费金额不能为负数"))
    with transaction.atomic():
        org_manage_check(actor, org)
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
        progress_changed(org)  # who owes a fee, hence the collection rate, follows the fee
    return fee


def fee_instructions_set(*, actor, org: Org, text: str) -> FeeInstructions | None:
    """Write down how members pay (shown on their fee page); empty text removes it."""
    text = text.strip()
    with transaction.atomic():
        org_manage_check(actor, org)
        current = FeeInstructions.objects.select_for_update().filter(org=org).first()
        before = current.text if current else ""
        if not text:
            if current:
                current.delete()
            instructions = None
        elif current:
            current.text, current.updated_by = text, actor
            current.save(update_fields=["text", "updated_by", "updated_at"])
            instructions = current
        else:
            instructions = FeeInstructions.objects.create(org=org, text=text, updated_by=actor)
        audit_record(actor=actor, action="fee.instructions", obj=org, org=org, data={"before": before, "after": text})
    return instructions


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
        org_manage_check(actor, membership.org)
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
        progress_changed(membership.org)
    return payment
