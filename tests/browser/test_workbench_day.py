"""An administrator's day from the workbench (工作台), on an office PC and on a phone: the landing page lists what
waits, oldest first; each card leads to the work — a review with the evidence previewed in the page, a
recommendation from a county, a resubmission showing what changed, a census list to import and its follow-up
with invitations sent again, fees recorded from the roster — and the workbench empties as the work is done."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from approvals import services
from members.models import Award, FeePayment, Membership
from members.services import census as census_services
from members.services.fees import fee_set
from members.services.people import person_profile_save
from orgs.models import AuditEvent, Org
from tests.browser.conftest import DESKTOP, PHONE, login, screenshot
from tests.browser.layout import assert_error_summary_on_top, assert_page_layout
from tests.conftest import PASSWORD
from tests.members.conftest import census_row, csv_upload, png_bytes


def _count(page, key: str) -> int:
    return int(page.locator(f"#work-{key} .work-count").inner_text())


@pytest.fixture
def city_day(hebei, make_admin, make_applicant):
    """Shijiazhuang's administrator starts the day with work of every kind; the county below recommends one."""
    city = Org.objects.get(name="石家庄市科学技术协会")
    county = Org.objects.filter(parent=city, kind="kexie", level="county").order_by("code")[0]
    admin = make_admin(city, "day_city")
    county_admin = make_admin(county, "day_county")

    first = services.application_submit(person=make_applicant("欧阳晓明"), org=city, declaration_accepted=True)
    scan = Award.objects.create(person=first.person, name="石家庄市科技进步奖", level="city", year=2024)
    scan.evidence.save("scan.pdf", ContentFile(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), save=True)
    photo = Award.objects.create(person=first.person, name="市优秀科技工作者", level="city", year=2023)
    photo.evidence.save("photo.png", ContentFile(png_bytes((40, 30))), save=True)
    services.application_submit(person=make_applicant("李秀英"), org=city, declaration_accepted=True)

    returned = services.application_submit(person=make_applicant("司马光辉"), org=city, declaration_accepted=True)
    services.application_return(application=returned, reviewer=admin, comment="请写明工作单位全称")
    person = returned.person
    person_profile_save(
        user=person.user, name=person.name, gender=person.gender, birth_date=person.birth_date, mobile=person.mobile,
        email=person.email, employer="石家庄铁道大学土木工程学院", discipline=person.discipline,
        education=person.education, title=person.title,
    )
    services.application_resubmit(application=returned, person=person, explanation="已写明单位全称")

    county_member = services.application_approve(
        application=services.application_submit(person=make_applicant("王建国"), org=county, declaration_accepted=True),
        reviewer=county_admin,
    )
    services.recommendation_create(
        actor=county_admin, from_org=county, person=county_member.person, source_membership=county_member,
        opinion="长期扎根基层农技推广，成绩突出",
    )

    waiting = census_services.census_import_create(
        actor=admin, org=city, file=csv_upload([census_row(91_000 + i) for i in range(3)], name="市级学会会员名单.csv")
    )
    earlier = census_services.census_import_create(
        actor=admin, org=city, file=csv_upload([census_row(92_000 + i) for i in range(2)], name="上月名单.csv")
    )
    census_services.census_commit_start(actor=admin, census=earlier)

    year = timezone.localdate().year
    fee_set(actor=admin, org=city, category=Membership.Category.REGULAR, year=year, amount=Decimal("50"))
    return {"city": city, "first": first, "scan": scan, "photo": photo, "returned": returned, "waiting": waiting}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device, viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_a_day_of_work_from_the_workbench(new_page, live_server, city_day, device, viewport):
    from django.core.cache import cache

    cache.clear()
    d = city_day
    page = new_page(viewport=viewport)
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    base = live_server.url

    # Signing in lands on the workbench.
    login(page, live_server, "day_city", PASSWORD)
    assert page.url == base + "/console/"
    assert page.locator("h1").inner_text() == "工作台"
    assert (_count(page, "applications"), _count(page, "recommendations"), _count(page, "resubmitted")) == (2, 1, 1)
    assert (_count(page, "census"), _count(page, "invitations")) == (1, 2)
    first_item = page.locator("#work-applications .work-items li").first.inner_text()
    assert "欧阳晓明" in first_item  # the oldest first
    assert_page_layout(page)
    if device == "desktop":
        screenshot(page, "workbench")

    # 1. The oldest application: the evidence is previewed in the page, then approved.
    page.locator("#work-applications").get_by_role("link", name="欧阳晓明").click()
    page.wait_for_load_state("load")
    assert not AuditEvent.objects.filter(action="evidence.download").exists()
    photo = page.locator(f"#preview-{d['photo'].pk}")
    photo.locator("summary").click()
    page.wait_for_function(
        "id => { const i = document.querySelector(`#preview-${id} img`); return i && i.complete && i.naturalWidth === 40; }",
        arg=d["photo"].pk,
    )
    scan = page.locator(f"#preview-{d['scan'].pk}")
    with page.expect_response(lambda r: "/evidence/view" in r.url and r.status == 200) as shown:
        scan.locator("summary").click()
    assert shown.value.headers["content-type"] == "application/pdf"
    assert shown.value.headers["content-disposition"].startswith("inline")
    assert AuditEvent.objects.filter(action="evidence.download", data__inline=True).count() == 2
    page.wait_for_timeout(300)
    assert refused == []  # the PDF may be framed by the review page, nothing was blocked
    assert_page_layout(page)
    # Folded again: the framed file no longer moves the buttons below it while it loads.
    scan.locator("summary").click()
    photo.locator("summary").click()
    page.get_by_label("批准", exact=True).check()
    page.get_by_role("button", name="提交审核决定").click()
    assert "已批准，会员编号" in page.locator(".msg-success").inner_text()
    assert "确定批准欧阳晓明" in page.dialogs.messages[-1]

    # 2. The recommendation from the county.
    page.goto(base + "/console/")
    assert _count(page, "applications") == 1
    page.locator("#work-recommendations").get_by_role("link", name="处理全部 1 项").click()
    assert page.locator("#queue tbody tr").count() == 1
    assert_page_layout(page)
    page.locator("#queue").get_by_role("link", name="王建国").click()
    assert "长期扎根基层农技推广" in page.locator("#recommendation").inner_text()
    page.get_by_label("批准", exact=True).check()
    page.get_by_role("button", name="提交审核决定").click()
    assert page.locator("#status").inner_text() == "已批准"

    # 3. The resubmission shows what changed since the return.
    page.goto(base + "/console/")
    page.locator("#work-resubmitted").get_by_role("link", name="司马光辉").click()
    changes = page.locator("#resubmission").inner_text()
    assert "请写明工作单位全称" in changes and "石家庄铁道大学土木工程学院" in changes and "已写明单位全称" in changes
    assert_page_layout(page)
    page.get_by_label("批准", exact=True).check()
    page.get_by_role("button", name="提交审核决定").click()
    assert page.locator("#status").inner_text() == "已批准"

    # 4. The census list waiting to be imported, then its follow-up.
    page.goto(base + "/console/")
    page.locator("#work-census").get_by_role("link", name="市级学会会员名单.csv").click()
    assert page.locator("h1").inner_text() == "核对名单，确认导入"
    page.get_by_role("button", name="导入 3 条有效记录").click()
    page.wait_for_selector("#census-result")
    assert page.locator("h1").inner_text() == "导入完成"
    assert "导入完成：3 人已列入会员名册" in page.locator(".msg-success").inner_text()
    assert_page_layout(page)
    page.get_by_role("link", name="查看导入人员与重新登记情况").click()
    assert page.locator("h1").inner_text() == "重新登记跟进"
    assert page.locator("#census-people tbody tr").count() == 3
    page.select_option("#id_state", "pending")
    page.get_by_role("button", name="筛选", exact=True).click()
    assert page.locator("#census-people tbody tr").count() == 3
    assert_page_layout(page)
    if device == "desktop":
        screenshot(page, "census-followup")
    page.get_by_role("button", name="全部重新发送邀请").click()
    assert "已重新发送 3 份邀请邮件" in page.locator(".msg-success").inner_text()
    assert "state=pending" in page.url
    with page.expect_download() as export:
        page.get_by_role("link", name="导出 Excel（含短信内容）").click()
    assert export.value.suggested_filename.endswith(".xlsx")

    # 5. Fees: the year's roster, a payment and an exemption recorded from the list.
    page.goto(base + "/console/")
    page.locator(f"#shortcuts-{d['city'].pk}").get_by_role("link", name="会费收缴").click()
    page.select_option("#id_state", "due")
    page.get_by_role("button", name="筛选", exact=True).click()
    due = page.locator("#fee-roster tbody tr").count()
    assert due == 3  # the three approved today; the imported people owe nothing until they re-register
    first_row = page.locator("#fee-roster tbody tr").first
    first_name = first_row.locator("td").first.inner_text()
    first_row.get_by_role("button", name="已缴 50.00 元").click()
    assert f"已登记 {first_name}" in page.locator(".msg-success").inner_text()
    second_row = page.locator("#fee-roster tbody tr").first
    second_row.locator("summary").click()
    # A reason of blanks passes the browser's check but not the server's: the row comes back with the error.
    second_row.get_by_label("免缴原因").fill("   ")
    second_row.get_by_role("button", name="登记免缴").click()
    assert_error_summary_on_top(page)
    assert "登记免缴时请填写免缴原因" in page.locator(".error-summary").inner_text()
    second_row = page.locator("#fee-roster tbody tr").first
    second_row.get_by_label("免缴原因").fill("退休人员，本年度免缴")
    second_row.get_by_role("button", name="登记免缴").click()
    assert "免缴" in page.locator(".msg-success").inner_text()
    assert page.locator("#fee-roster tbody tr").count() == due - 2
    assert FeePayment.objects.filter(kind="exempt", note="退休人员，本年度免缴").count() == 1
    assert_page_layout(page)

    # The workbench has emptied but for the one application left and the people still to re-register.
    page.goto(base + "/console/")
    assert (_count(page, "applications"), _count(page, "recommendations"), _count(page, "resubmitted")) == (1, 0, 0)
    assert _count(page, "census") == 0 and _count(page, "invitations") == 5
    assert_page_layout(page)
    assert refused == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device, viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_provincial_staff_land_on_the_progress_summary(new_page, live_server, hebei, staff, city_day, device, viewport):
    from approvals.progress import progress_recompute_all
    from orgs.services.targets import targets_seed

    year = timezone.localdate().year
    targets_seed(year=year)
    progress_recompute_all(years=[year])
    page = new_page(viewport=viewport)
    login(page, live_server, "staff", PASSWORD)
    assert page.url == live_server.url + "/console/"
    summary = page.locator("#progress-summary").inner_text()
    assert "收到申请" in summary and "新增个人会员" in summary
    assert page.locator("#lagging tbody tr").count() == 5
    assert page.locator("#work-applications").count() == 0  # staff review nothing
    assert_page_layout(page)
    page.get_by_role("link", name="查看完整的发展进度").click()
    assert "/console/dashboard/" in page.url
