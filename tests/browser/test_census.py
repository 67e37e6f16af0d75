import pytest

from members.models import Membership
from orgs.models import Org
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD, valid_id_number
from tests.members.conftest import census_row, csv_upload


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_imports_a_census_file_sees_the_preview_commits_and_sees_progress(page, live_server, hebei, make_admin, tmp_path):
    county = Org.objects.filter(parent__name="石家庄市科学技术协会", kind="kexie", level="county").order_by("code")[0]
    make_admin(county, "census_admin")
    good = [census_row(70_000 + i) for i in range(6)]
    bad_id = valid_id_number(70_100)
    rows = good + [
        census_row(70_100, 身份证号=bad_id[:17] + ("1" if bad_id[17] != "1" else "2")),
        census_row(70_101, 身份证号=good[0][1]),
        census_row(70_102, 手机号码=""),
    ]
    path = tmp_path / "普查名单.csv"
    path.write_bytes(csv_upload(rows).read())

    login(page, live_server, "census_admin", PASSWORD)
    page.goto(f"{live_server.url}/console/orgs/{county.pk}/census/")
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_selector("#census-summary")
    assert page.locator("#valid-rows").inner_text() == "6"
    assert page.locator("#error-rows").inner_text() == "3"
    assert page.locator("#census-rows tbody tr.row-error").count() == 3
    assert page.get_by_text("身份证号码校验位不正确").count() == 1
    assert page.get_by_text("与第 2 行身份证号重复").count() == 1
    screenshot(page, "census-preview")

    page.get_by_role("button", name="导入 6 条有效记录").click()
    page.wait_for_selector("#campaign-progress")
    assert page.locator("#imported-rows").inner_text() == "6"
    progress = page.locator("#campaign-progress tbody tr").first.inner_text()
    assert county.name in progress and "6" in progress
    assert Membership.objects.filter(org=county, status="pending_rereg").count() == 6
    screenshot(page, "census-committed")
