"""After a census import: the error report download, and re-registration through the invitation link."""

import io

import pytest
from openpyxl import load_workbook

from members.models import CensusRow, Membership
from members.services import census as census_services
from orgs.models import Org
from tests.browser.conftest import login
from tests.conftest import PASSWORD, valid_id_number
from tests.members.conftest import census_row, csv_upload


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_error_report_download_and_reregistration_by_invitation(new_page, live_server, hebei, make_admin):
    county = Org.objects.filter(parent__name="石家庄市科学技术协会", kind="kexie", level="county").order_by("code")[0]
    admin = make_admin(county, "census_pages_admin")
    rows = [census_row(71_001, 姓名="高建国"), census_row(71_002), census_row(71_003, 身份证号="130102198001010000")]
    census = census_services.census_import_create(actor=admin, org=county, file=csv_upload(rows))
    census = census_services.census_validate(census_id=census.pk)
    census_services.census_commit_start(actor=admin, census=census)
    invited = CensusRow.objects.get(census=census, name="高建国")
    assert invited.membership.status == Membership.Status.PENDING_REREGISTRATION

    # The administrator downloads the error report: the bad row, masked, with its reason.
    console = new_page()
    login(console, live_server, "census_pages_admin", PASSWORD)
    console.goto(f"{live_server.url}/console/census/{census.pk}/")
    with console.expect_download() as download:
        console.get_by_role("link", name="下载错误报告（Excel）").click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    report = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(report) == 2 and report[1][0] == 4  # the header is row 1 of the file
    assert report[1][2] == "130102********0000" and "校验" in report[1][-1]

    # The invited person opens the link (no account yet): a wrong ID number is refused, what was typed is kept.
    person_page = new_page()
    person_page.goto(f"{live_server.url}/rereg/{invited.invite_token}/")
    assert county.name in person_page.locator("main").inner_text()
    assert person_page.input_value("#id_name") == "高建国"
    person_page.fill("#id_id_number", valid_id_number(71_999))
    person_page.fill("#id_employer", "石家庄铁道大学")
    person_page.fill("#id_password1", "Rereg-2026-ok")
    person_page.fill("#id_password2", "Rereg-2026-ok")
    person_page.get_by_role("button", name="确认并完成登记").click()
    person_page.wait_for_load_state("networkidle")
    assert "身份证号与名单不一致" in person_page.locator(".errors").inner_text()
    assert person_page.input_value("#id_employer") == "石家庄铁道大学"
    # The ID number and the passwords never come back into the page; it says to type them again.
    assert person_page.input_value("#id_id_number") == "" and person_page.input_value("#id_password1") == ""
    assert "请重新输入" in person_page.locator("main").inner_text()
    person_page.fill("#id_id_number", valid_id_number(71_001))
    person_page.fill("#id_password1", "Rereg-2026-ok")
    person_page.fill("#id_password2", "Rereg-2026-ok")
    person_page.get_by_role("button", name="确认并完成登记").click()
    person_page.wait_for_load_state("networkidle")
    assert person_page.locator(".msg-success").inner_text() == "重新登记已完成，您的会员资格已恢复有效"
    assert person_page.url.endswith("/me/fees/")
    membership = Membership.objects.select_related("person").get(pk=invited.membership_id)
    assert membership.status == Membership.Status.ACTIVE and membership.person.employer == "石家庄铁道大学"

    # The link is single-use, and the campaign progress counts the re-registration.
    person_page.goto(f"{live_server.url}/rereg/{invited.invite_token}/")
    assert "已完成" in person_page.locator("main").inner_text()
    console.goto(f"{live_server.url}/console/orgs/{county.pk}/census/")
    progress = console.locator("#campaign-progress").get_by_role("row", name=county.name).inner_text().split("\t")
    assert progress[1:] == ["2", "1", "1"]
