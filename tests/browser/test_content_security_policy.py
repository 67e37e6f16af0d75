"""In Chromium under the Content-Security-Policy: page scripts from static files run and nothing is refused;
past the per-username ceiling the login page's check runs in the browser and the owner signs in."""

import pytest
from django.conf import settings

from approvals import services as approvals
from approvals.progress import progress_recompute_all
from kexie.login_challenge import login_failure_record
from orgs.services.targets import targets_seed
from tests.browser.conftest import DESKTOP, PHONE, login, screenshot
from tests.conftest import PASSWORD


def _csp_violations(page) -> list[str]:
    messages = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    return messages


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_console_pages_run_their_scripts_under_the_policy(new_page, live_server, hebei, county_a, staff, province_admin,
                                                          make_applicant):
    application = approvals.application_submit(person=make_applicant("赵一"), org=county_a, declaration_accepted=True)
    approvals.application_approve(application=application, reviewer=province_admin)
    targets_seed(year=2026)
    progress_recompute_all(years=[2026])

    page = new_page(viewport=DESKTOP)
    violations = _csp_violations(page)
    login(page, live_server, "staff", PASSWORD)
    page.goto(f"{live_server.url}/console/dashboard/?year=2026")
    # The chart is drawn by static/js/dashboard-chart.js with the vendored Chart.js.
    page.wait_for_function("window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
    assert page.locator("progress.funnel-bar").count() >= 1

    page.goto(f"{live_server.url}/console/orgs/")
    rows = page.locator("#org-tree tbody tr")
    total = rows.count()
    page.get_by_role("searchbox", name="按名称查找组织").fill(county_a.name)  # static/js/tree-table.js
    page.wait_for_function(f"document.querySelectorAll('#org-tree tbody tr:not([hidden])').length < {total}")
    assert page.locator("#org-tree tbody tr:not([hidden])", has_text=county_a.name).count() == 1
    assert violations == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_past_the_ceiling_the_browser_solves_the_check_and_the_owner_signs_in(new_page, live_server, admin_a):
    for _ in range(settings.LOGIN_CHALLENGE_AFTER):
        login_failure_record(username="admin_a")

    page = new_page(viewport=PHONE)
    violations = _csp_violations(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "admin_a")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("需要先完成一次自动安全验证").wait_for()
    status = page.locator("#login-check-status")
    status.filter(has_text="安全验证已完成").wait_for(timeout=60000)
    assert page.locator("#id_username").input_value() == "admin_a"
    assert page.locator("#id_password").input_value() == ""
    screenshot(page, "login-check-phone")

    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/console/**")
    assert violations == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_django_admin_works_under_the_policy(new_page, live_server, hebei, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    page = new_page(viewport=DESKTOP)
    violations = _csp_violations(page)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/orgs/org/")
    page.locator("#result_list").wait_for()
    page.goto(f"{live_server.url}/admin/members/user/add/")
    page.locator("#user_form").wait_for()
    assert violations == []
