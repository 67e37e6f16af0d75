"""Dues with receipts: the member reports a payment (transfer proof or on site), the organisation confirms or
rejects it, a confirmed payment gets a gapless receipt number and a PDF with the amount in capitals."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from kexie.errors import DomainError
from kexie.money import amount_in_capitals
from members.models import DuesPayment, FeePayment, FeeReceipt, Notice
from members.services.fees import fee_set
from members.services.memberships import membership_grant
from members.services.payments import payment_confirm, payment_reject, payment_submit
from orgs.models import AuditEvent
from tests.members.conftest import png_bytes

YEAR = timezone.localdate().year


def _proof(name="回单.png", content=None):
    return SimpleUploadedFile(name, content if content is not None else png_bytes(), content_type="image/png")


@pytest.fixture
def member(applicant, county_a):
    return membership_grant(person=applicant, org=county_a)


@pytest.fixture
def fee50(admin_a, county_a):
    return fee_set(actor=admin_a, org=county_a, category="regular", year=YEAR, amount=Decimal("50"))


def test_amount_in_chinese_capitals():
    assert amount_in_capitals(Decimal("50")) == "伍拾元整"
    assert amount_in_capitals(Decimal("1234.50")) == "壹仟贰佰叁拾肆元伍角"


@pytest.mark.django_db
def test_a_zero_fee_year_says_so_and_asks_for_nothing(applicant_client, applicant, member, admin_a, county_a):
    fee_set(actor=admin_a, org=county_a, category="regular", year=YEAR, amount=Decimal("0"))
    page = applicant_client.get(reverse("members:me_fees")).content.decode()
    assert "暂时不收取会费" in page and "缴纳会费" not in page
    with pytest.raises(DomainError, match="暂时不收取会费"):
        payment_submit(person=applicant, membership=member, year=YEAR, method="on_site")


@pytest.mark.django_db
def test_bank_transfer_needs_a_sound_proof_and_the_form_keeps_the_choice(applicant_client, member, fee50):
    url = reverse("members:me_fee_pay", args=[member.pk, YEAR])
    response = applicant_client.post(url, {"method": "bank_transfer"})
    assert response.status_code == 400 and "请上传转账凭证" in response.content.decode()
    assert 'value="bank_transfer" required id="id_method_0" checked' in response.content.decode()
    fake = applicant_client.post(url, {"method": "bank_transfer", "proof": _proof("假.png", b"not an image")})
    assert fake.status_code == 400 and "不符" in fake.content.decode()
    ok = applicant_client.post(url, {"method": "bank_transfer", "proof": _proof()})
    assert ok.status_code == 302
    payment = DuesPayment.objects.get(membership=member, year=YEAR)
    assert payment.status == "submitted" and payment.amount == Decimal("50.00") and "回单" not in payment.proof.name
    assert "待组织确认" in applicant_client.get(reverse("members:me_fees")).content.decode()


@pytest.mark.django_db
def test_confirmation_records_the_fee_and_issues_a_receipt_pdf(applicant_client, applicant, member, fee50, admin_a, county_a):
    payment = payment_submit(person=applicant, membership=member, year=YEAR, method="bank_transfer", proof=_proof())
    assert Notice.objects.filter(user=admin_a, title__startswith="会费缴纳待确认").exists()
    client = Client()
    client.force_login(admin_a)
    page = client.get(reverse("console_members:dues", args=[county_a.pk])).content.decode()
    assert applicant.name in page and "确认收款" in page
    assert client.get(reverse("console_members:dues_proof", args=[payment.pk])).status_code == 200
    client.post(reverse("console_members:dues_confirm", args=[payment.pk]))
    receipt = FeeReceipt.objects.get(payment=payment)
    assert receipt.number == f"R{YEAR}-{county_a.code}-000001" and receipt.serial == 1
    assert FeePayment.objects.get(membership=member, year=YEAR).kind == "paid"
    assert AuditEvent.objects.filter(action="dues.confirm", object_id=str(payment.pk)).count() == 1
    with pytest.raises(DomainError, match="已被处理"):
        payment_confirm(actor=admin_a, payment=payment)

    response = applicant_client.get(reverse("members:me_receipt", args=[receipt.pk]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert receipt.number in text and "伍拾元整" in text and "50.00" in text and applicant.name in text
    assert "电子收据" in applicant_client.get(reverse("members:me_fees")).content.decode()


@pytest.mark.django_db
def test_rejection_tells_the_reason_and_the_member_may_report_again(applicant_client, applicant, member, fee50, admin_a):
    payment = payment_submit(person=applicant, membership=member, year=YEAR, method="on_site")
    with pytest.raises(DomainError):
        payment_reject(actor=admin_a, payment=payment, reason=" ")
    payment_reject(actor=admin_a, payment=payment, reason="未查到到账记录")
    page = applicant_client.get(reverse("members:me_fees")).content.decode()
    assert "未查到到账记录" in page and "缴纳会费" in page
    again = payment_submit(person=applicant, membership=member, year=YEAR, method="on_site")
    receipt = payment_confirm(actor=admin_a, payment=again)
    assert receipt.serial == 1  # a rejected report never consumed a number


@pytest.mark.django_db
def test_nobody_else_reaches_a_members_payment_page_or_receipt(client, applicant, member, fee50, admin_a, make_applicant):
    receipt = payment_confirm(
        actor=admin_a, payment=payment_submit(person=applicant, membership=member, year=YEAR, method="on_site")
    )
    other = make_applicant("路人")
    client.force_login(other.user)
    assert client.get(reverse("members:me_fee_pay", args=[member.pk, YEAR])).status_code == 404
    assert client.get(reverse("members:me_receipt", args=[receipt.pk])).status_code == 404
    with pytest.raises(DomainError):
        payment_submit(person=other, membership=member, year=YEAR, method="on_site")
