"""The console header reaches every area; a child's yearly target is changed; the public progress page."""

import pytest
from django.utils import timezone

from approvals import services
from approvals.progress import progress_recompute_all
from orgs.models import AuditEvent, Org, Target
from tests.browser.conftest import DESKTOP, login, screenshot
from tests.conftest import PASSWORD

CONSOLE_AREAS = [
    ("组织", "/console/orgs/", "组织架构"),
    ("审核", "/console/review/", "审核队列"),
    ("会员", "/console/members/", "会员名册"),
    ("普查", "/console/lifecycle/", "普查与会员事务"),
    ("发展进度", "/console/dashboard/", "年度会员发展进度"),
    ("目标", "/console/targets/", "年度下级组织目标"),
    ("账号管理", "/console/accounts/", "账号管理"),
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_header_reaches_every_console_area_targets_edit_and_public_progress(new_page, live_server, hebei, make_admin, make_applicant):
    year = timezone.localdate().year
    city = Org.objects.get(name="石家庄市科学技术协会")
    county = Org.objects.filter(parent=city, kind="kexie", level="county").order_by("code")[0]
    make_admin(city, "progress_pages_city")
    county_admin = make_admin(county, "progress_pages_county")
    person = make_applicant("公示测试人")
    services.application_approve(
        application=services.application_submit(person=person, org=county, declaration_accepted=True), reviewer=county_admin
    )

    page = new_page(viewport=DESKTOP)
    login(page, live_server, "progress_pages_city", PASSWORD)
    for label, path, heading in CONSOLE_AREAS:
        page.get_by_role("banner").get_by_role("link", name=label, exact=True).click()
        page.wait_for_load_state("networkidle")
        assert page.url.split("?")[0].endswith(path), (label, page.url)
        assert heading in page.locator("h1").first.inner_text(), (label, page.locator("h1").first.inner_text())

    # Targets: the city changes one of its counties' yearly target for new members.
    page.get_by_role("banner").get_by_role("link", name="目标", exact=True).click()
    page.get_by_role("row", name=county.name).get_by_role("link", name="修改").click()
    page.fill("#id_new_members", "90")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".msg-success").inner_text() == f"已更新“{county.name}”{year} 年度目标 1 项"
    assert "新增个人会员：90" in page.get_by_role("row", name=county.name).inner_text()
    assert Target.objects.get(org=county, year=year, metric="new_members").value == 90
    assert AuditEvent.objects.filter(org=county, action__startswith="target").count() == 1
    screenshot(page, "targets")

    # The public page, without signing in: counts by city and county, the target, no personal data.
    progress_recompute_all(years=[year])
    public = new_page(viewport=DESKTOP)
    public.goto(f"{live_server.url}/progress/?year={year}")
    assert public.get_by_role("link", name="登录").count() >= 1
    city_row = public.locator("#public-progress tr.city", has_text=city.name).inner_text().split("\t")
    assert city_row[0].strip() == city.name and city_row[1:3] == ["1", "1"]
    public.locator("#public-progress tr.city", has_text=city.name).get_by_role("button").click()  # its counties
    county_row = public.locator("#public-progress tr.county", has_text=county.name).inner_text().split("\t")
    # 收到申请, 批准, 本级新增会员, 存量会员登记, 年度目标
    assert county_row[1:6] == ["1", "1", "1", "0", "90"]
    assert "公示测试人" not in public.content() and person.mobile not in public.content()
    screenshot(public, "public-progress")
