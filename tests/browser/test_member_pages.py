"""The member directory and a member's page, unit members, fees and the annual report, as a city administrator."""

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from kexie.validators import USCC_CHECKSUM_WARNING
from members.models import FeePayment, Membership
from orgs.models import Org
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD

BAD_USCC = "91110000600037341M"  # well-formed, but the GB 32100 check character should be L


def _click(page, name):
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state("networkidle")


def _workbook_cells(download) -> list[list]:
    workbook = load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_directory_member_page_actions_units_fees_and_annual_report(page, live_server, hebei, make_admin, make_members):
    year = timezone.localdate().year
    city = Org.objects.get(name="石家庄市科学技术协会")
    county, other_county = Org.objects.filter(parent=city, kind="kexie", level="county").order_by("code")[:2]
    make_admin(city, "member_pages_city")
    members = make_members(county, 120)
    target = members[7]
    name = target.person.name

    login(page, live_server, "member_pages_city", PASSWORD)

    # Fees of the county: zero means 暂时不收取会费; the regular fee is 50.
    page.get_by_role("banner").get_by_role("link", name="普查").click()
    page.fill("input[name=q]", county.name)
    _click(page, "筛选")
    page.get_by_role("row", name=county.name).get_by_role("link", name="会费").click()
    for category, amount in (("honorary", "0"), ("regular", "50")):
        page.select_option("#id_category", category)
        page.fill("#id_year", str(year))
        page.fill("#id_amount", amount)
        _click(page, "保存")
        assert page.locator(".msg-success").inner_text() == "已保存会费标准"
    assert "暂时不收取会费" in page.get_by_role("row", name="荣誉会员").inner_text()
    assert "50.00" in page.get_by_role("row", name="个人会员").first.inner_text()

    # A unit member whose code fails the check digit: a warning, then saved with a reason.
    page.get_by_role("link", name="团体会员", exact=True).click()
    page.get_by_role("link", name="登记团体会员").click()
    page.fill("#id_name", "石家庄新材料科技有限公司")
    page.fill("#id_uscc", BAD_USCC)
    page.fill("#id_contact_name", "赵工")
    _click(page, "保存")
    assert str(USCC_CHECKSUM_WARNING) in page.locator(".error").inner_text()
    assert page.input_value("#id_name") == "石家庄新材料科技有限公司" and page.input_value("#id_contact_name") == "赵工"
    page.fill("#id_override_reason", "与营业执照原件核对一致，属早期赋码")
    _click(page, "保存")
    assert page.locator(".msg-success").inner_text() == "已登记团体会员"
    assert "校验位不符，已确认" in page.get_by_role("row", name="石家庄新材料科技有限公司").inner_text()

    # The directory: the county selected shows its fellow places; search; the Excel export of that list.
    page.get_by_role("banner").get_by_role("link", name="会员", exact=True).click()
    page.select_option("#id_org", str(county.pk))
    _click(page, "筛选")
    assert "本组织个人会员 120 人，会士上限 1 人（1%），已有会士 0 人，剩余名额 1 个" in page.locator("#fellow-places").inner_text()
    assert page.locator("#member-table tbody tr").count() == 50
    assert "共 120 条" in page.locator(".pagination").inner_text()
    page.fill("#id_q", name)
    _click(page, "筛选")
    assert page.locator("#member-table tbody tr").count() == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    rows = _workbook_cells(download.value)
    assert len(rows) == 2 and rows[1][:3] == [target.number, name, target.person.id_number_masked]

    # The member's page: every action lives here.
    page.get_by_role("link", name=name).click()
    screenshot(page, "member-detail")
    assert "会士剩余名额 1 个" in page.locator("main").inner_text()
    page.select_option("#grade_grade", "fellow")
    _click(page, "保存等级")
    assert page.locator(".msg-success").inner_text() == "已更新会员等级与类别"
    assert "会士剩余名额 0 个" in page.locator("main").inner_text()

    page.select_option("#unit_unit", label="石家庄新材料科技有限公司")
    _click(page, "保存关联")
    assert page.locator(".msg-success").inner_text() == "已更新团体会员关联"

    page.select_option("#fee_kind", "exempt")
    _click(page, "登记")
    assert page.locator(".errors").inner_text() == "登记免缴时请填写免缴原因"
    page.select_option("#fee_kind", "paid")
    _click(page, "登记")
    assert page.locator(".msg-success").inner_text() == "已登记会费"
    assert "已缴纳" in page.get_by_role("row", name=str(year)).inner_text()

    page.select_option("#status_status", "lapsed")
    page.fill("#status_comment", "连续三年未参加活动")
    _click(page, "变更状态")
    assert page.locator(".msg-success").inner_text() == "已变更会员状态"
    assert page.locator("h1 .badge").inner_text() == "已失效"
    page.select_option("#status_status", "active")
    _click(page, "变更状态")
    assert page.locator("h1 .badge").inner_text() == "有效"

    facts = page.locator("dl.facts").inner_text()
    assert "会士" in facts and "石家庄新材料科技有限公司" in facts
    page.select_option("#transfer_target_org", str(other_county.pk))
    page.fill("#transfer_comment", "工作调动")
    _click(page, "转入所选组织")
    # The county has no fellow places: refused with the reason, the choice and comment kept.
    assert page.locator(".errors").inner_text() == "转入组织的会士名额已满，请先调整该会员的等级"
    assert page.input_value("#transfer_comment") == "工作调动"
    assert page.input_value("#transfer_target_org") == str(other_county.pk)
    page.select_option("#grade_grade", "senior")
    _click(page, "保存等级")
    page.select_option("#transfer_target_org", str(other_county.pk))
    page.fill("#transfer_comment", "工作调动")
    _click(page, "转入所选组织")
    assert page.locator(".msg-success").inner_text().startswith(f"已转入“{other_county.name}”，新会员编号 ")
    new = Membership.objects.get(person=target.person, org=other_county)
    assert new.number in page.locator("dl.facts").inner_text()
    target.refresh_from_db()
    assert target.status == Membership.Status.TRANSFERRED
    assert FeePayment.objects.filter(membership=target, year=year, kind="paid").count() == 1
    history = page.locator(".timeline").inner_text()
    assert "转会转入" in history and "membership.transfer_in" not in history

    # Annual report of the county, on the page and as Excel.
    page.goto(f"{live_server.url}/console/orgs/{county.pk}/report/{year}/")
    assert page.locator('#report-figures dd[data-figure="members_year_end"]').inner_text() == "119"
    assert f"{county.name} {year} 年度会员年报" in page.locator("h1").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel").click()
    summary = {row[0]: row[1] for row in _workbook_cells(download.value)}
    assert summary["组织"] == county.name and summary["本年末会员数"] == 119 and summary["团体会员总数"] == 1
    assert summary["应缴会费人数"] == 119 and summary["已缴会费"] == 0
