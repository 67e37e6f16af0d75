"""Fees per org, category and year; payments and exemptions; the member's own view; the collection rate."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kexie.errors import DomainError
from members.models import Membership
from members.selectors.fees import fee_figures
from members.services.fees import fee_payment_record, fee_set
from members.services.memberships import membership_grant


@pytest.fixture
def year():
    from django.utils import timezone

    return timezone.localdate().year


@pytest.mark.django_db
def test_zero_fee_means_not_collected_and_needs_no_payment(client, county_a, admin_a, make_members, year):
    fee_set(actor=admin_a, org=county_a, category="regular", year=year, amount=Decimal("0"))
    member = make_members(county_a, 1)[0]
    with pytest.raises(DomainError, match="暂时不收取会费"):
        fee_payment_record(actor=admin_a, membership=member, year=year, kind="paid")
    assert fee_figures(org=county_a, year=year)["fee_collection_rate"] is None, "nothing due: no rate, not 0%"
    client.force_login(admin_a)
    assert "暂时不收取会费" in client.get(reverse("console_members:fees", args=[county_a.pk])).content.decode()


@pytest.mark.django_db
def test_payments_and_exemptions_give_the_collection_rate(county_a, admin_a, make_members, year):
    fee_set(actor=admin_a, org=county_a, category="regular", year=year, amount=Decimal("50"))
    fee_set(actor=admin_a, org=county_a, category="honorary", year=year, amount=Decimal("0"))
    members = make_members(county_a, 4)
    with pytest.raises(DomainError, match="50"):
        fee_payment_record(actor=admin_a, membership=members[0], year=year, kind="paid", amount=Decimal("5"))
    fee_payment_record(actor=admin_a, membership=members[0], year=year, kind="paid")
    with pytest.raises(DomainError, match="免缴原因"):
        fee_payment_record(actor=admin_a, membership=members[1], year=year, kind="exempt")
    fee_payment_record(actor=admin_a, membership=members[1], year=year, kind="exempt", note="困难会员")
    with pytest.raises(DomainError, match="已登记"):
        fee_payment_record(actor=admin_a, membership=members[0], year=year, kind="paid")
    collection = fee_figures(org=county_a, year=year)
    assert (collection["fee_due"], collection["fee_paid"], collection["fee_exempt"]) == (4, 1, 1)
    assert collection["fee_collection_rate"] == 50.0
    with pytest.raises(DomainError, match="尚未设置"):
        fee_payment_record(actor=admin_a, membership=members[2], year=year + 1, kind="paid")


@pytest.mark.django_db
def test_a_sibling_admin_cannot_set_fees(county_a, admin_b, year):
    from kexie.errors import OutOfScope

    with pytest.raises(OutOfScope):
        fee_set(actor=admin_b, org=county_a, category="regular", year=year, amount=Decimal("10"))


@pytest.mark.django_db
def test_a_negative_fee_is_refused_by_the_form(client, county_a, admin_a, year):
    client.force_login(admin_a)
    response = client.post(reverse("console_members:fee_set", args=[county_a.pk]), {"category": "regular", "year": year, "amount": "-1"})
    assert not county_a.fees.exists()
    # The page comes back with the Chinese error and the typed values, not a redirect that forgets them.
    body = response.content.decode()
    assert response.status_code == 400 and 'value="-1"' in body and "大于或等于0" in body


@pytest.mark.django_db
def test_member_sees_what_they_owe_and_paid(client, county_a, admin_a, make_applicant, year):
    person = make_applicant("钱七")
    membership = membership_grant(person=person, org=county_a)
    fee_set(actor=admin_a, org=county_a, category="regular", year=year, amount=Decimal("30"))
    client.force_login(person.user)
    page = client.get(reverse("members:me_fees")).content.decode()
    assert "30.00" in page and "待缴纳" in page
    fee_payment_record(actor=admin_a, membership=membership, year=year, kind="paid")
    assert "已缴纳" in client.get(reverse("members:me_fees")).content.decode()
    assert Membership.objects.get(pk=membership.pk).fee_payments.count() == 1
