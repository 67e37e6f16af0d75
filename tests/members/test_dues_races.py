"""Concurrent confirmations on PostgreSQL with real threads: one confirmation lands, receipt serials stay gapless."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from kexie.errors import DomainError
from members.models import FeePayment, FeeReceipt
from members.services.fees import fee_set
from members.services.memberships import membership_grant
from members.services.payments import payment_confirm, payment_submit
from tests.approvals.test_races import _run_together

YEAR = timezone.localdate().year


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_confirming_one_payment_issue_exactly_one_receipt(hebei, admin_a, city_admin, county_a, make_applicant):
    fee_set(actor=admin_a, org=county_a, category="regular", year=YEAR, amount=Decimal("50"))
    person = make_applicant("并发缴费")
    with transaction.atomic():  # membership_grant runs in its caller's transaction
        membership = membership_grant(person=person, org=county_a)
    payment = payment_submit(person=person, membership=membership, year=YEAR, method="on_site")
    results, errors = _run_together(
        lambda: payment_confirm(actor=admin_a, payment=payment),
        lambda: payment_confirm(actor=city_admin, payment=payment),
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], DomainError) and "已被处理" in str(errors[0].message)
    assert FeeReceipt.objects.filter(payment=payment).count() == 1
    assert FeePayment.objects.filter(membership=membership, year=YEAR).count() == 1
    assert list(FeeReceipt.objects.filter(org=county_a, year=YEAR).values_list("serial", flat=True)) == [1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twelve_concurrent_confirmations_get_gapless_receipt_numbers(hebei, admin_a, county_a, make_applicant):
    fee_set(actor=admin_a, org=county_a, category="regular", year=YEAR, amount=Decimal("50"))
    payments = []
    for i in range(12):
        person = make_applicant(f"缴费{i:02d}")
        with transaction.atomic():
            membership = membership_grant(person=person, org=county_a)
        payments.append(payment_submit(person=person, membership=membership, year=YEAR, method="on_site"))
    results, errors = _run_together(*[(lambda p=p: payment_confirm(actor=admin_a, payment=p)) for p in payments])
    assert errors == []
    serials = sorted(FeeReceipt.objects.filter(org=county_a, year=YEAR).values_list("serial", flat=True))
    assert serials == list(range(1, 13))
    numbers = set(FeeReceipt.objects.filter(org=county_a, year=YEAR).values_list("number", flat=True))
    assert numbers == {f"R{YEAR}-{county_a.code}-{n:06d}" for n in range(1, 13)}
