"""Every role's main pages on a phone (390×844) and an office PC (1366×768): no table breaks a name, number,
status or date inside a word, nothing scrolls the page sideways, every input has a label and text contrast
meets WCAG 2.2 AA. The organisation tree and the public progress page collapse, expand by level and search."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from approvals import services as approvals
from approvals.progress import progress_recompute_all
from members.models import Membership
from orgs.models import Org
from orgs.services.targets import targets_seed
from tests.browser.conftest import DESKTOP, PHONE, login, screenshot
from tests.browser.layout import assert_focus_visible, assert_page_layout
from tests.conftest import PASSWORD

VIEWPORTS = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
NAMES = ["欧阳晓明", "司马光辉", "张伟", "李秀英", "王建国", "诸葛云飞"]


@pytest.fixture
def journeys(hebei, make_admin, make_staff, make_applicant):
    """A city with a county, their administrators, provincial staff, applications in every state, and members."""
    year = timezone.localdate().year
    city = Org.objects.get(name="石家庄市科学技术协会")
    county = Org.objects.filter(parent=city, kind="kexie", level="county").order_by("code")[0]
    city_admin = make_admin(city, "layout_city")
    county_admin = make_admin(county, "layout_county")
    make_staff(username="layout_staff")
    people = [make_applicant(name) for name in NAMES]
    applications = [approvals.application_submit(person=p, org=county, declaration_accepted=True) for p in people]
    memberships = [approvals.application_approve(application=a, reviewer=county_admin) for a in applications[:3]]
    approvals.recommendation_create(actor=county_admin, from_org=county, person=people[0], source_membership=memberships[0],
                                    opinion="长期从事基层科普工作，成绩突出，在本县农业技术推广中作出重要贡献")
    approvals.application_reject(application=applications[3], reviewer=county_admin, comment="奖励不属于科技类奖励")
    targets_seed(year=year)
    progress_recompute_all(years=[year])
    cache.clear()
    return {
        "year": year,
        "city": city,
        "county": county,
        "city_admin": city_admin,
        "people": people,
        "applications": applications,
        "memberships": memberships,
    }


def _check(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").count() >= 1, url
    assert_page_layout(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_roles_main_pages_keep_words_whole_labelled_and_legible(new_page, live_server, journeys, viewport):
    base = live_server.url
    j = journeys
    county, city, year = j["county"], j["city"], j["year"]
    recommended = Membership.objects.filter(org=city).first() or j["memberships"][0]

    visitor = new_page(viewport=viewport)
    for path in ("/", "/progress/", "/accounts/login/", "/register/"):
        _check(visitor, base + path)

    admin = new_page(viewport=viewport)
    login(admin, live_server, "layout_city", PASSWORD)
    for path in (
        "/console/orgs/",
        f"/console/orgs/{county.pk}/",
        "/console/review/",
        "/console/review/?subtree=on&status=",
        f"/console/review/{j['applications'][4].pk}/",
        "/console/members/",
        f"/console/memberships/{j['memberships'][0].pk}/",
        f"/console/memberships/{recommended.pk}/",
        "/console/dashboard/",
        f"/console/dashboard/?org={county.pk}",
        "/console/targets/",
        "/console/accounts/",
        "/console/lifecycle/",
        f"/console/orgs/{county.pk}/census/",
        f"/console/orgs/{county.pk}/fees/",
        f"/console/orgs/{county.pk}/units/",
        f"/console/orgs/{county.pk}/report/{year}/",
    ):
        _check(admin, base + path)
    if viewport is DESKTOP:
        admin.goto(base + "/console/members/")
        screenshot(admin, "member-directory")
        admin.goto(base + "/console/review/?subtree=on&status=")
        screenshot(admin, "review-queue-subtree")

    staff = new_page(viewport=viewport)
    login(staff, live_server, "layout_staff", PASSWORD)
    for path in ("/console/orgs/", "/console/dashboard/", f"/console/review/{j['applications'][5].pk}/"):
        _check(staff, base + path)

    applicant = new_page(viewport=viewport)
    login(applicant, live_server, j["people"][0].user.username, PASSWORD)
    for path in ("/me/", "/me/profile/", "/me/applications/", f"/me/applications/{j['applications'][0].pk}/",
                 "/orgs/choose/", "/orgs/choose/?q=井陉", f"/me/apply/{county.pk}/", "/me/fees/", "/me/data/",
                 "/consent/"):
        _check(applicant, base + path)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_keyboard_focus_is_visible_in_the_header_forms_and_tables(new_page, live_server, journeys):
    page = new_page(viewport=DESKTOP)
    page.goto(f"{live_server.url}/accounts/login/")
    assert_focus_visible(page, presses=6)
    login(page, live_server, "layout_city", PASSWORD)
    page.goto(f"{live_server.url}/console/review/")
    assert_focus_visible(page, presses=14)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_org_tree_collapses_expands_by_level_and_searches(new_page, live_server, hebei, make_staff, viewport):
    make_staff(username="tree_staff")
    page = new_page(viewport=viewport)
    login(page, live_server, "tree_staff", PASSWORD)
    page.goto(f"{live_server.url}/console/orgs/")
    rows = page.locator("#org-tree tbody tr")
    total = Org.objects.count()
    top_two = Org.objects.filter(depth__lte=1).count()
    assert rows.count() == total  # every organisation is in the page (and shows without JavaScript)
    visible = page.locator("#org-tree tbody tr:visible")
    assert visible.count() == top_two, "the province and the organisations directly below it show at first"

    # A city opens and closes by its own toggle.
    city = Org.objects.get(name="石家庄市科学技术协会")
    toggle = page.get_by_role("button", name=f"展开{city.name}的 {city.get_children().count()} 个下级")
    toggle.click()
    assert visible.count() == top_two + city.get_children().count()
    assert page.get_by_role("link", name="石家庄市井陉县科学技术协会").is_visible()
    page.get_by_role("button", name=f"收起{city.name}的 {city.get_children().count()} 个下级").click()
    assert visible.count() == top_two

    # By level: everything, the top alone, and back to two levels.
    page.get_by_role("button", name="全部展开").click()
    assert visible.count() == total
    page.get_by_role("button", name="全部收起").click()
    assert visible.count() == 1
    page.get_by_role("button", name="展开到第 2 级").click()
    assert visible.count() == top_two

    # Search: the matches and the path down to them; the status line says how many.
    page.get_by_role("searchbox", name="按名称查找组织").fill("井陉")
    matches = Org.objects.filter(name__contains="井陉")
    assert page.locator("[data-tree-status]").inner_text() == f"找到 {matches.count()} 个名称包含“井陉”的结果"
    shown = set(visible.locator("td:first-child a").all_inner_texts())
    expected = {o.name for m in matches for o in m.get_ancestors(include_self=True)}
    assert shown == expected
    screenshot(page, f"console-org-tree-search-{'phone' if viewport is PHONE else 'desktop'}")
    page.get_by_role("searchbox", name="按名称查找组织").fill("不存在的组织")
    assert page.locator("[data-tree-status]").inner_text() == "没有名称包含“不存在的组织”的结果"
    assert visible.count() == 0
    page.get_by_role("searchbox", name="按名称查找组织").fill("")
    assert visible.count() == top_two
    assert_page_layout(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_progress_is_readable_on_a_phone(new_page, live_server, journeys):
    year, city, county = journeys["year"], journeys["city"], journeys["county"]
    page = new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/progress/?year={year}")
    cities = page.locator("#public-progress tr.city:visible")
    assert cities.count() == 13 and page.locator("#public-progress tr.county:visible").count() == 0
    height = page.evaluate("document.scrollingElement.scrollHeight")
    assert height < 4000, f"the page is {height}px tall on a phone with the counties folded"
    assert_page_layout(page)

    # One city's counties, then all of them: still one line per row, the table scrolls inside its box.
    page.locator("#public-progress tr.city", has_text=city.name).get_by_role("button").click()
    county_row = page.locator("#public-progress tr.county", has_text=county.name)
    assert county_row.is_visible()
    cells = county_row.locator("td").all_inner_texts()
    assert cells[0] == county.name and cells[1:4] == [str(len(NAMES)), "3", "3"]  # received, approved, new members
    completion = cells[-1]
    assert "落后" in completion or "稍慢" in completion or "正常" in completion, "the lag is spelled out beside its colour"
    screenshot(page, "public-progress-phone")
    # On a phone each row is a card: the name, then the numbers under their column names, no sideways scrolling.
    assert county_row.locator("td").nth(1).evaluate("td => getComputedStyle(td, '::before').content") == '"收到申请："'
    page.get_by_role("button", name="全部展开").click()
    tallest = page.evaluate("Math.max(...[...document.querySelectorAll('#public-progress tbody tr')]"
                            ".map((tr) => tr.getBoundingClientRect().height))")
    assert tallest < 140, f"a row is {tallest}px tall: more than a name and three lines of numbers"
    assert_page_layout(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_each_role_sees_only_the_pages_it_can_use_and_staff_are_marked_read_only(new_page, live_server, hebei,
                                                                               make_admin, make_staff, make_officer):
    city = Org.objects.get(name="石家庄市科学技术协会")
    county = next(o for o in Org.objects.filter(parent=city, kind="kexie", level="county").order_by("code")
                  if o.is_leaf_node())
    make_admin(city, "nav_city")
    make_admin(county, "nav_county")
    make_staff(username="nav_staff")
    make_officer("audit_admin_org", city, "nav_audit")
    make_officer("system_admin_org", city, "nav_system")
    everyone = ["工作台", "组织", "审核", "会员", "普查", "发展进度"]
    for username, menu, read_only in (
        ("nav_city", everyone + ["目标", "账号管理", "Webhook 推送", "审计"], False),
        ("nav_county", everyone + ["Webhook 推送", "审计"], False),
        ("nav_staff", everyone, True),
        # 三员: each officer sees its own page and nothing about people.
        ("nav_audit", ["审计"], False),
        ("nav_system", ["组织架构"], False),
    ):
        page = new_page(viewport=PHONE)
        login(page, live_server, username, PASSWORD)
        links = page.get_by_role("banner").get_by_role("navigation").get_by_role("link").all_inner_texts()
        assert links[: len(menu) + 2] == menu + ["双因素认证", "修改密码"], (username, links)
        badge = page.get_by_role("banner").locator(".badge.readonly")
        assert badge.count() == (1 if read_only else 0), username
        if read_only:
            assert badge.inner_text() == "只读"
        assert_page_layout(page)
