"""A person sees on 我的数据 (on a phone) which organisation's administrator looked at their data."""

import pytest
from django.test import Client
from django.urls import reverse

from approvals import services as approvals
from tests.browser.conftest import PHONE, login, screenshot
from tests.conftest import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_person_sees_who_viewed_them(new_page, live_server, hebei, county_a, admin_a, make_applicant):
    person = make_applicant("查看记录")
    application = approvals.application_submit(person=person, org=county_a, declaration_accepted=True)
    reviewer = Client()
    reviewer.force_login(admin_a)
    assert reviewer.get(reverse("approvals:detail", args=[application.pk])).status_code == 200

    page = new_page(viewport=PHONE)
    login(page, live_server, person.user.username, PASSWORD)
    page.goto(f"{live_server.url}/me/data/")
    section = page.locator("#accesses")
    section.get_by_role("heading", name="谁查看了我的信息").wait_for()
    text = section.inner_text()
    assert county_a.name in text and "查看个人资料" in text and "审核入会申请" in text
    section.scroll_into_view_if_needed()
    screenshot(page, "my-data-accesses-phone")
