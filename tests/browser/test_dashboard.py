"""Provincial staff open the progress dashboard, drill down to a county and export Excel."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from approvals import services as approvals
from approvals.progress import progress_recompute_all
from orgs.services.targets import targets_seed
from tests.browser.conftest import DESKTOP, login, screenshot
from tests.conftest import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_drill_down_to_a_county_and_export(new_page, live_server, hebei, city, county_a, staff, make_applicant,
                                                 province_admin):
    for name, org in [("赵一", county_a), ("钱二", county_a), ("孙三", city)]:
        application = approvals.application_submit(person=make_applicant(name), org=org, declaration_accepted=True)
        approvals.application_approve(application=application, reviewer=province_admin)
    targets_seed(year=2026)
    progress_recompute_all(years=[2026])

    page = new_page(viewport=DESKTOP)
    login(page, live_server, "staff", PASSWORD)
    page.goto(f"{live_server.url}/console/dashboard/?year=2026&kind=kexie")
    page.get_by_role("heading", name="河北省科学技术协会 2026 年度会员发展进度").wait_for()
    assert page.locator("#progress-table tbody tr").count() == 13
    assert page.locator("#computed-at").inner_text().startswith("数据截至")
    page.wait_for_function("document.getElementById('trend-chart').width > 0")
    screenshot(page, "dashboard-province")

    page.get_by_role("link", name=city.name).click()
    page.get_by_role("heading", name=f"{city.name} 2026 年度会员发展进度").wait_for()
    row = page.locator("#progress-table tbody tr", has_text=county_a.name)
    assert "2 / 80" in row.inner_text()
    row.get_by_role("link", name=county_a.name).click()
    page.get_by_role("heading", name=f"{county_a.name} 2026 年度会员发展进度").wait_for()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(BytesIO(open(download.path(), "rb").read())).active
    text = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    assert county_a.name in text
    assert "赵一" not in text and city.name not in text
