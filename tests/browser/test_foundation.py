import pytest

from orgs.models import Org
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD


def change_initial_password(page, initial: str, new: str) -> None:
    """An account created by the organisation above changes its initial password at the first sign-in."""
    assert page.url.split("?")[0].endswith("/accounts/password/")
    assert "初始密码" in page.locator("body").inner_text()
    page.fill("#id_old_password", initial)
    page.fill("#id_new_password1", new)
    page.fill("#id_new_password2", new)
    page.get_by_role("button", name="保存新密码").click()
    assert page.locator("h1").inner_text() == "密码已修改"
    page.goto(page.url.split("/accounts/")[0] + "/console/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_city_admin_sees_only_the_city_creates_a_county_admin_who_logs_in(page, live_server, hebei, make_admin):
    city = Org.objects.get(name="石家庄市科学技术协会")
    county = Org.objects.filter(parent=city, kind="kexie").order_by("code")[0]
    make_admin(city, "sjz_admin")

    login(page, live_server, "sjz_admin", PASSWORD)
    assert page.url.endswith("/console/")  # the workbench
    page.get_by_role("banner").get_by_role("link", name="组织", exact=True).click()
    assert page.url.endswith("/console/orgs/")
    rows = page.locator("#org-tree tbody tr")
    assert rows.count() == Org.objects.in_subtree(city).count()
    assert page.get_by_text("唐山市科学技术协会").count() == 0
    assert page.get_by_role("link", name=county.name).count() == 1
    screenshot(page, "console-org-tree")

    page.click("text=账号管理")
    page.click("text=新建组织管理员")
    page.select_option("#id_org", str(county.pk))
    page.fill("#id_username", "county_new_admin")
    page.fill("#id_full_name", "县管理员")
    page.fill("#id_mobile", "13900001111")
    page.fill("#id_password", "Jx-admin-2026")
    page.get_by_role("button", name="创建账号").click()
    assert page.locator(".msg-success").inner_text().startswith("已为")
    assert page.get_by_role("cell", name="county_new_admin").count() == 1

    page.click("text=退出")
    login(page, live_server, "county_new_admin", "Jx-admin-2026")
    change_initial_password(page, "Jx-admin-2026", "Jx-county-2027")
    assert page.url.endswith("/console/")
    page.get_by_role("banner").get_by_role("link", name="组织", exact=True).click()
    assert page.locator("#org-tree tbody tr").count() == Org.objects.in_subtree(county).count()
    assert page.get_by_role("link", name=county.name).count() == 1
    assert page.get_by_text("石家庄市科学技术协会").count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_province_creates_staff_who_reads_an_org_page_and_changes_password(page, live_server, hebei, make_admin):
    make_admin(hebei, "prov_admin")
    login(page, live_server, "prov_admin", PASSWORD)
    page.click("text=账号管理")
    page.click("text=新建省科协工作人员")
    page.select_option("#id_department", "popular_science")
    page.fill("#id_username", "kepu_staff")
    page.fill("#id_full_name", "科普部工作人员")
    page.fill("#id_password", "Hb-Science-4417")
    page.get_by_role("button", name="创建账号").click()
    assert "kepu_staff" in page.locator(".msg-success").inner_text()
    assert page.get_by_role("cell", name="科学技术普及部").count() == 1
    page.click("text=退出")

    login(page, live_server, "kepu_staff", "Hb-Science-4417")
    change_initial_password(page, "Hb-Science-4417", "Hb-Science-4418")
    assert page.locator("#progress-summary").count() == 1  # staff land on the progress summary
    page.get_by_role("banner").get_by_role("link", name="组织", exact=True).click()
    assert page.locator("#org-tree tbody tr").count() == 253
    page.get_by_role("link", name="唐山市科学技术协会").click()
    assert page.locator("h1").inner_text() == "唐山市科学技术协会"
    assert page.get_by_text("下级组织").count() >= 1
    screenshot(page, "console-org-detail")

    page.click("text=修改密码")
    page.fill("#id_old_password", "Hb-Science-4418")
    page.fill("#id_new_password1", "Hb-Science-5528!")
    page.fill("#id_new_password2", "Hb-Science-5528!")
    page.get_by_role("button", name="保存新密码").click()
    assert page.locator("h1").inner_text() == "密码已修改"
    page.click("text=退出")
    login(page, live_server, "kepu_staff", "Hb-Science-5528!")
    assert page.url.endswith("/console/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_city_admin_deactivates_a_county_admin_who_then_cannot_log_in(page, live_server, hebei, make_admin):
    city = Org.objects.get(name="石家庄市科学技术协会")
    county = Org.objects.filter(parent=city, kind="kexie").order_by("code")[0]
    make_admin(city, "sjz_admin")
    make_admin(county, "jx_admin")
    login(page, live_server, "sjz_admin", PASSWORD)
    page.click("text=账号管理")
    row = page.locator("tr", has=page.get_by_role("cell", name="jx_admin", exact=True))
    row.get_by_role("button", name="停用").click()
    assert "已停用账号 jx_admin" in page.locator(".msg-success").inner_text()
    page.click("text=退出")
    login(page, live_server, "jx_admin", PASSWORD)
    assert "/accounts/login/" in page.url
    assert page.get_by_text("用户名或密码不正确").count() == 1
