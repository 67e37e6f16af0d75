"""Dues payments, one function per step: the member reports a payment, the organisation confirms or rejects
it, a confirmed payment gets its electronic receipt.

Collected outside the system (bank transfer with its proof, or on site); an online provider (WeChat Pay,
Alipay) would add its own steps here — start a payment, take the provider's callback — ending in the same
`payment_confirm`, so the receipt numbering and the fee records stay in one place.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.errors import DomainError, OutOfScope
from kexie.validators import validate_upload
from members.models import DuesPayment, FeePayment, FeeReceipt, FeeReceiptCounter, Membership, Person
from members.services.fees import fee_due
from members.services.memberships import LIVE_STATUSES, org_manage_check, progress_changed
from members.services.notices import notice_create
from members.services.renewals import renewal_complete_if_ready
from orgs.models import Org
from orgs.selectors.accounts import administrators_to_notify
from orgs.services.audit import audit_record


def _receipt_number_format(*, org: Org, year: int, serial: int) -> str:
    """收据: R + year - org code - six-digit serial, e.g. R2026-HB002-000017."""
    return f"R{year}-{org.code}-{serial:06d}"


def receipt_number_issue(*, org: Org, year: int) -> tuple[int, str]:
    """The next receipt serial of an org and year. Inside the caller's transaction: the counter row stays
    locked until commit, so concurrent confirmations queue and serials are gapless; a rolled-back
    confirmation rolls its increment back too, so no number is skipped or reused."""
    FeeReceiptCounter.objects.bulk_create([FeeReceiptCounter(org=org, year=year, last_value=0)], ignore_conflicts=True)
    counter = FeeReceiptCounter.objects.select_for_update().get(org=org, year=year)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return counter.last_value, _receipt_number_format(org=org, year=year, serial=counter.last_value)


def payment_submit(*, person: Person, membership: Membership, year: int, method: str, proof=None) -> DuesPayment:
    """The member reports paying `year`'s fee by bank transfer (with the transfer proof: image or PDF, checked
    like award evidence) or on site (the organisation confirms when it has the money)."""
    if membership.person_id != person.pk:
        raise OutOfScope()
    if method not in DuesPayment.Method.values:
        raise DomainError(_("请选择缴费方式"))
    if method == DuesPayment.Method.BANK_TRANSFER:
        if proof is None:
            raise DomainError(_("银行转账请上传转账凭证（图片或 PDF）"))
        validate_upload(proof)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("org").get(pk=membership.pk)
        if membership.status not in LIVE_STATUSES:
            raise DomainError(_("该会员资格当前状态为“%(status)s”，无需缴费") % {"status": membership.get_status_display()})
        fee = fee_due(membership=membership, year=year)
        if fee is None:
            raise DomainError(_("“%(org)s”尚未公布 %(year)s 年度会费标准") % {"org": membership.org.name, "year": year})
        if fee.is_waived:
            raise DomainError(_("%(year)s 年度暂时不收取会费，无需缴纳") % {"year": year})
        if FeePayment.objects.filter(membership=membership, year=year).exists():
            raise DomainError(_("%(year)s 年度会费已缴纳或已免缴") % {"year": year})
        payment = DuesPayment(membership=membership, year=year, method=method, amount=fee.amount)
        if method == DuesPayment.Method.BANK_TRANSFER:
            payment.proof.save(proof.name, proof, save=False)
        try:
            with transaction.atomic():
                payment.save()
        except IntegrityError:
            raise DomainError(_("您已提交 %(year)s 年度的缴费，正在等待确认") % {"year": year})
        audit_record(
            actor=person.user, action="dues.submit", obj=payment, org=membership.org,
            data={"year": year, "method": method, "amount": str(fee.amount)},
        )
        for admin in administrators_to_notify(membership.org):
            notice_create(
                user=admin,
                title=_("会费缴纳待确认：%(name)s") % {"name": person.name},
                body=_("%(name)s 提交了 %(year)s 年度会费 %(amount)s 元（%(method)s），请核对后确认。")
                % {"name": person.name, "year": year, "amount": fee.amount, "method": payment.get_method_display()},
                link=f"/console/orgs/{membership.org_id}/fees/payments/",
            )
    return payment


def _locked_submitted(actor, payment: DuesPayment) -> DuesPayment:
    payment = (
        DuesPayment.objects.select_for_update(of=("self",))
        .select_related("membership__org", "membership__person__user")
        .get(pk=payment.pk)
    )
    org_manage_check(actor, payment.membership.org)
    if payment.status != DuesPayment.Status.SUBMITTED:
        raise DomainError(_("该缴费已被处理，当前状态为“%(status)s”") % {"status": payment.get_status_display()})
    return payment


def payment_confirm(*, actor, payment: DuesPayment) -> FeeReceipt:
    """The organisation has the money: record the fee as paid and issue the receipt, in one transaction."""
    with transaction.atomic():
        payment = _locked_submitted(actor, payment)
        membership = payment.membership
        now = timezone.now()
        try:
            with transaction.atomic():
                fee_payment = FeePayment.objects.create(
                    membership=membership,
                    year=payment.year,
                    kind=FeePayment.Kind.PAID,
                    amount=payment.amount,
                    paid_on=timezone.localdate(payment.submitted_at),
                    note=payment.get_method_display(),
                    recorded_by=actor,
                )
        except IntegrityError:
            raise DomainError(_("该会员 %(year)s 年度的会费已登记") % {"year": payment.year})
        serial, number = receipt_number_issue(org=membership.org, year=payment.year)
        receipt = FeeReceipt.objects.create(
            payment=payment, org=membership.org, year=payment.year, serial=serial, number=number, amount=payment.amount
        )
        payment.status = DuesPayment.Status.CONFIRMED
        payment.decided_at = now
        payment.decided_by = actor
        payment.fee_payment = fee_payment
        payment.save(update_fields=["status", "decided_at", "decided_by", "fee_payment"])
        progress_changed(membership.org)  # the fee collection figures count this payment
        renewal_complete_if_ready(membership=membership, year=payment.year, actor=actor)
        audit_record(
            actor=actor, action="dues.confirm", obj=payment, org=membership.org,
            data={"year": payment.year, "amount": str(payment.amount), "receipt": number},
        )
        notice_create(
            user=membership.person.user,
            title=_("会费缴纳已确认"),
            body=_("“%(org)s”已确认您 %(year)s 年度会费 %(amount)s 元，电子收据编号 %(number)s。")
            % {"org": membership.org.name, "year": payment.year, "amount": payment.amount, "number": number},
            link="/me/fees/",
        )
    return receipt


def payment_reject(*, actor, payment: DuesPayment, reason: str) -> DuesPayment:
    """The proof does not show the payment: the member is told why and may report it again."""
    if not reason.strip():
        raise DomainError(_("请填写未通过的原因"))
    with transaction.atomic():
        payment = _locked_submitted(actor, payment)
        payment.status = DuesPayment.Status.REJECTED
        payment.reject_reason = reason.strip()
        payment.decided_at = timezone.now()
        payment.decided_by = actor
        payment.save(update_fields=["status", "reject_reason", "decided_at", "decided_by"])
        membership = payment.membership
        audit_record(actor=actor, action="dues.reject", obj=payment, org=membership.org, comment=payment.reject_reason)
        notice_create(
            user=membership.person.user,
            title=_("会费缴纳未通过确认"),
            body=_("“%(org)s”未确认您 %(year)s 年度的会费缴纳，原因：%(reason)s。请核对后重新提交。")
            % {"org": membership.org.name, "year": payment.year, "reason": payment.reject_reason},
            link="/me/fees/",
        )
    return payment


def payment_proof_open(*, actor, payment: DuesPayment):
    """Open the transfer proof for the organisation; the audit row is written before any byte leaves."""
    if not payment.proof:
        raise DomainError(_("该缴费没有上传转账凭证"))
    with transaction.atomic():
        audit_record(actor=actor, action="dues.proof_download", obj=payment, org=payment.membership.org)
        return payment.proof.open("rb")


def receipt_render(*, actor, receipt: FeeReceipt) -> bytes:
    """The receipt PDF; a download by anyone but the member themselves is audited."""
    from members.receipts import receipt_pdf

    with transaction.atomic():
        if actor.pk != receipt.payment.membership.person.user_id:
            audit_record(actor=actor, action="dues.receipt_download", obj=receipt, org=receipt.org)
        return receipt_pdf(receipt)
