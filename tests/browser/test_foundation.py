import pytest

from orgs.models import Org
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_city_admin_sees_only_the_city_creates_a_county_admin_who_logs_in(page, live_server, hebei, make_admin):
    city = Org.objects.get(name="石家庄市科学技术协会")
    county = Org.objects.filter(parent=city, kind="kexie").order_by("code")[0]
    make_admin(city, "sjz_admin")

    login(page, live_server, "sjz_admin", PASSWORD)
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
    assert page.url.endswith("/console/orgs/")
    assert page.locator("#org-tree tbody tr").count() == Org.objects.in_subtree(county).count()
    assert page.get_by_role("link", name=county.name).count() == 1
    assert page.get_by_text("石家庄市科学技术协会").count() == 0
