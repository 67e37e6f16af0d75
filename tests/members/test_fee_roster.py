"""An organisation's fee roster for a year: what each member owes and has paid, filterable, with a payment or an
exemption recorded from the list; and the member's fee page saying how to pay."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import FeePayment, Membership
from members.selectors.fees import fee_roster
from members.services.fees import fee_instructions_set, fee_payment_record, fee_set
from orgs.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def year():
    return timezone.localdate().year


@pytest.fixture
def roster(county_a, admin_a, make_members, year):
    """Regular members pay 50 this year, honorary ones nothing: one paid, one exempt, two due, one honorary."""
    fee_set(actor=admin_a, org=county_a, category="regular", year=year, amount=Decimal("50"))
    fee_set(actor=admin_a, org=county_a, category="honorary", year=year, amount=Decimal("0"))
    members = make_members(county_a, 5)
    Membership.objects.filter(pk=members[4].pk).update(category="honorary")
    fee_payment_record(actor=admin_a, membership=members[0], year=year, kind="paid")
    fee_payment_record(actor=admin_a, membership=members[1], year=year, kind="exempt", note="困难会员")
    return members


def _names(rows):
    return [m.person.name for m in rows]


def test_the_roster_gives_each_member_the_fee_and_what_was_recorded(county_a, roster, year):
    rows = {m.pk: m for m in fee_roster(county_a, year=year)}
    assert (rows[roster[0].pk].fee_amount, rows[roster[0].pk].payment_kind) == (Decimal("50"), "paid")
    assert rows[roster[1].pk].payment_kind == "exempt"
    assert (rows[roster[2].pk].fee_amount, rows[roster[2].pk].payment_kind) == (Decimal("50"), None)
    assert rows[roster[4].pk].fee_amount == Decimal("0")
    assert _names(fee_roster(county_a, year=year, state="due")) == _names(roster[2:4])
    assert _names(fee_roster(county_a, year=year, state="paid")) == _names(roster[:1])
    assert _names(fee_roster(county_a, year=year, state="exempt")) == _names(roster[1:2])
    assert _names(fee_roster(county_a, year=year, state="free")) == _names(roster[4:])
    assert fee_roster(county_a, year=year + 1, state="due").count() == 0  # no fee set for next year
    assert _names(fee_roster(county_a, year=year, search=roster[3].person.name)) == _names(roster[3:4])


def test_the_roster_page_records_a_payment_from_the_list_and_keeps_the_filters(client, admin_a, county_a, roster, year):
    client.force_login(admin_a)
    url = reverse("console_members:fee_members", args=[county_a.pk])
    page = client.get(url, {"state": "due"}).content.decode()
    assert roster[2].person.name in page and roster[0].person.name not in page
    assert "已缴 50.00 元" in page
    response = client.post(
        reverse("console_members:fee_record", args=[county_a.pk]),
        {"membership": roster[2].pk, "year": year, "kind": "paid", "filters": "state=due"},
    )
    assert response.status_code == 302 and response.url == f"{url}?state=due"
    payment = FeePayment.objects.get(membership=roster[2], year=year)
    assert (payment.kind, payment.amount, payment.recorded_by) == ("paid", Decimal("50"), admin_a)
    assert AuditEvent.objects.filter(action="fee.paid", object_id=str(roster[2].pk)).exists()


def test_an_exemption_without_a_reason_comes_back_with_the_error_at_its_row(client, admin_a, county_a, roster, year):
    client.force_login(admin_a)
    record = reverse("console_members:fee_record", args=[county_a.pk])
    response = client.post(record, {"membership": roster[3].pk, "year": year, "kind": "exempt", "note": " ", "filters": "state=due"})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="record-{roster[3].pk}-note-error"' in page and "登记免缴时请填写免缴原因" in page
    # The summary at the top links to the reason box of that row.
    assert f'href="#record-{roster[3].pk}-note"' in page and f'id="record-{roster[3].pk}-note"' in page
    assert f'<details class="exempt" open>' in page
    assert not FeePayment.objects.filter(membership=roster[3]).exists()
    response = client.post(record, {"membership": roster[3].pk, "year": year, "kind": "paid", "filters": ""})
    assert response.status_code == 302
    # Recording twice is refused with the reason, and what was typed stays.
    response = client.post(record, {"membership": roster[3].pk, "year": year, "kind": "exempt", "note": "已缴过", "filters": ""})
    assert response.status_code == 400 and "已登记" in response.content.decode()


def test_a_member_of_another_organisation_cannot_be_recorded_through_this_roster(client, city_admin, county_a, county_b, make_members, roster, year):
    other = make_members(county_b, 1)[0]
    client.force_login(city_admin)
    response = client.post(
        reverse("console_members:fee_record", args=[county_a.pk]),
        {"membership": other.pk, "year": year, "kind": "paid", "filters": ""},
    )
    assert response.status_code == 404


def test_the_roster_query_count_does_not_grow_with_the_members(client, admin_a, county_a, roster, make_members, django_assert_max_num_queries):
    client.force_login(admin_a)
    url = reverse("console_members:fee_members", args=[county_a.pk])
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    make_members(county_a, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).context["page"].paginator.count == 25


def test_the_member_fee_page_says_how_to_pay(client, admin_a, county_a, roster, make_user):
    """A member who owes the year's fee is told how to pay: the organisation's own words, else a general hint."""
    owing = roster[2].person
    owing.user = make_user("fee_member")
    owing.save(update_fields=["user"])
    client.force_login(owing.user)
    page = client.get(reverse("members:me_fees")).content.decode()
    assert "如何缴纳" in page and f"请按{county_a.name}的通知缴纳会费" in page
    fee_instructions_set(actor=admin_a, org=county_a, text="请到县科协办公室（201室）缴纳，工作日 9:00-17:00")
    page = client.get(reverse("members:me_fees")).content.decode()
    assert "请到县科协办公室（201室）缴纳" in page
    assert AuditEvent.objects.filter(action="fee.instructions").exists()
    # A member who has paid is not told how to pay.
    paid = roster[0].person
    paid.user = make_user("paid_member")
    paid.save(update_fields=["user"])
    client.force_login(paid.user)
    assert "如何缴纳" not in client.get(reverse("members:me_fees")).content.decode()


def test_instructions_are_set_from_the_fee_page_by_managers_only(client, admin_a, staff, county_a):
    url = reverse("console_members:fee_instructions", args=[county_a.pk])
    client.force_login(staff)
    assert client.post(url, {"text": "任意"}).status_code == 404
    client.force_login(admin_a)
    assert client.post(url, {"text": "银行转账：开户行……"}).status_code == 302
    page = client.get(reverse("console_members:fees", args=[county_a.pk])).content.decode()
    assert "银行转账：开户行……" in page
    client.post(url, {"text": ""})
    assert "尚未填写缴费方式" in client.get(reverse("console_members:fees", args=[county_a.pk])).content.decode()


def test_a_payment_the_member_reported_is_confirmed_on_the_dues_page_not_recorded_again(client, admin_a, county_a, roster, year):
    from members.services.payments import payment_submit

    payment_submit(person=roster[3].person, membership=roster[3], year=year, method="on_site")
    rows = {m.pk: m for m in fee_roster(county_a, year=year)}
    assert rows[roster[3].pk].dues_reported and not rows[roster[2].pk].dues_reported
    client.force_login(admin_a)
    page = client.get(reverse("console_members:fee_members", args=[county_a.pk])).content.decode()
    row = page[page.index(f'id="member-{roster[3].pk}"'):]
    row = row[: row.index("</tr>")]
    assert "会员已申报缴费，去确认" in row and reverse("console_members:dues", args=[county_a.pk]) in row
    assert "已缴 50.00 元" not in row
