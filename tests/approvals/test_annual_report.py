"""The annual report (年报): members by grade and category, new members, recommendations, fees."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from approvals.selectors.reports import annual_report
from members.services.fees import fee_payment_record, fee_set
from members.services.memberships import membership_grade_set
from members.services.units import unit_member_create


@pytest.mark.django_db
def test_annual_report_counts_and_excel(client, city, county_a, admin_a, city_admin, make_members):
    year = timezone.localdate().year
    members = make_members(county_a, 200)
    make_members(county_a, 3, status="pending_rereg", origin="census")
    membership_grade_set(actor=admin_a, membership=members[0], grade="fellow")
    membership_grade_set(actor=admin_a, membership=members[1], grade="senior", category="honorary")
    unit_member_create(actor=admin_a, org=county_a, name="某公司", uscc="91110000600037341L")
    fee_set(actor=admin_a, org=county_a, category="regular", year=year, amount=Decimal("20"))
    fee_payment_record(actor=admin_a, membership=members[2], year=year, kind="paid")

    r = annual_report(org=county_a, year=year)
    assert r.total_members == r.figures["members_year_end"] == 203
    assert r.figures["new_members"] == 200
    assert r.figures["existing_registered"] == 3, "census imports are their own figure, never new members"
    grades = {label: total for label, _cells, total in r.by_grade_category}
    assert (grades["会士"], grades["高级会员"], grades["普通会员"]) == (1, 1, 201)
    assert r.category_totals[r.category_labels.index("荣誉会员")] == 1
    assert r.figures["unit_members_year_end"] == r.figures["new_unit_members"] == 1
    assert (r.figures["fee_due"], r.figures["fee_paid"]) == (199, 1)

    city_report = annual_report(org=city, year=year, subtree=True)
    assert city_report.total_members == 203
    assert annual_report(org=city, year=year).total_members == 0

    client.force_login(city_admin)
    page = client.get(reverse("approvals:report", args=[county_a.pk, year]))
    assert page.status_code == 200 and "年度会员年报" in page.content.decode()
    sheet = load_workbook(io.BytesIO(client.get(reverse("approvals:report_xlsx", args=[county_a.pk, year])).content))
    summary = {row[0]: row[1] for row in sheet["概况"].iter_rows(min_row=2, values_only=True)}
    assert summary["本年末会员数"] == 203 and summary["团体会员总数"] == 1 and summary["存量会员登记"] == 3
    assert summary["会费收缴率"] == 0.5
    assert [row[0] for row in sheet["年度目标"].iter_rows(min_row=2, values_only=True)] == ["该年度未设置目标"]
