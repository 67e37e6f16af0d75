"""A national administrator narrows the member directory and the review queue to one organisation by typing its
name, and creates an administrator account the same way: their scope is too large to list, so the organisation
is a search box; a name several organisations contain offers them. On a phone and on a desktop."""

import pytest
from django.urls import reverse

from orgs import forms as org_forms
from orgs.models import Org
from tests.browser.conftest import DESKTOP, PHONE, login, screenshot
from tests.browser.layout import assert_error_summary_on_top, assert_no_broken_cells, assert_page_layout
from tests.conftest import PASSWORD


def _filter(page, typed: str) -> None:
    page.fill("#id_org", typed)
    page.get_by_role("button", name="筛选", exact=True).click()
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_national_administrator_finds_an_organisation_by_name(
    new_page, live_server, national, make_admin, make_members, submit, monkeypatch, viewport
):
    monkeypatch.setattr(org_forms, "ORG_CHOICES_LISTED", 50)  # the live server runs in this process
    jingxing, kuangqu = (Org.objects.get(name=n) for n in ("石家庄市井陉县科学技术协会", "石家庄市井陉矿区科学技术协会"))
    physics = Org.objects.get(name="山西省物理学会")
    make_members(kuangqu, 3)
    make_members(jingxing, 2)
    submit(physics, name="王物理")
    submit(jingxing, name="赵县里")
    make_admin(national, "national_search")
    page = new_page(viewport=viewport)
    login(page, live_server, "national_search", PASSWORD)

    page.goto(live_server.url + reverse("console_members:member_list"))
    assert page.locator("select#id_org").count() == 0
    assert page.locator("#id_org").get_attribute("type") == "search"

    # "井陉" is in two county names: both are offered, the error sits at the top, what was typed stays.
    _filter(page, "井陉")
    assert_error_summary_on_top(page)
    assert "有 2 个组织的名称含“井陉”" in page.locator(".error-summary, [role=alert]").first.inner_text()
    assert page.locator("#id_org").input_value() == "井陉"
    offered = page.locator("#id_org-candidates a")
    assert offered.all_inner_texts() == [jingxing.name, kuangqu.name]
    if viewport is PHONE:
        screenshot(page, "org-search-candidates-phone")
    offered.get_by_text(kuangqu.name).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#id_org").input_value() == kuangqu.name
    assert page.locator("#member-table tbody tr").count() == 3
    assert_no_broken_cells(page)

    # A name no organisation has is said so; the list is empty, not everyone's.
    _filter(page, "不存在的学会")
    assert "您的管理范围内没有名称含“不存在的学会”的组织" in page.content()
    assert page.locator("#member-table tbody tr td.muted").count() == 1

    # The review queue: a full name chooses the society in the other province at once.
    page.goto(live_server.url + reverse("approvals:queue"))
    _filter(page, physics.name)
    assert page.locator("#id_org").input_value() == physics.name
    assert page.locator(".error").count() == 0
    assert "王物理" in page.locator("#queue tbody tr").first.inner_text()
    assert page.locator("#queue tbody tr").count() == 1
    assert_page_layout(page)
    if viewport is DESKTOP:
        screenshot(page, "org-search-queue")

    # An administrator account for the society, its organisation typed by name; a part two names contain
    # lists both and keeps what was typed.
    page.goto(live_server.url + reverse("orgs:account_create"))
    page.fill("#id_org", "井陉")
    page.fill("#id_username", f"physics_{viewport['width']}")
    page.fill("#id_full_name", "物理学会管理员")
    page.fill("#id_password", "Qwe-rty-7788")
    page.get_by_role("button", name="创建账号").click()
    page.wait_for_load_state("networkidle")
    assert_error_summary_on_top(page)
    assert page.locator("#id_org-candidates li").all_inner_texts() == [jingxing.name, kuangqu.name]
    assert page.locator("#id_username").input_value() == f"physics_{viewport['width']}"
    page.fill("#id_org", physics.name)
    page.fill("#id_password", "Qwe-rty-7788")
    page.get_by_role("button", name="创建账号").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".msg-success").inner_text().startswith(f"已为“{physics.name}”创建管理员账号")
