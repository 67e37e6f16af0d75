"""A person who reads only Chinese goes, on a phone (and on a desktop), from registration to downloading their
member certificate: the step indicator leads the way, the submitted application has a reference number and says
what happens next, and after approval the home page and the notice lead to the card and the 会员证."""

import io

import pytest
from pypdf import PdfReader

from approvals import services
from approvals.models import Application
from orgs.models import Org
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.layout import assert_page_layout
from tests.conftest import sms_code_for, valid_id_number


def _current_step(page) -> str:
    return page.locator('.steps [aria-current="step"] .step-label').inner_text()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "device, viewport, mobile, n", [("phone", PHONE, "13700137101", 601), ("desktop", DESKTOP, "13700137102", 602)]
)
def test_from_registration_to_the_certificate(new_page, live_server, hebei, make_admin, tmp_path, device, viewport, mobile, n):
    from django.core.cache import cache

    cache.clear()
    county = Org.objects.get(name="石家庄市井陉县科学技术协会")
    reviewer = make_admin(county, f"jx_admin_{device}")
    page = new_page(viewport=viewport)
    base = live_server.url

    page.goto(base + "/")
    page.get_by_role("link", name="注册并申请入会").click()
    assert _current_step(page).startswith("注册")
    assert page.locator(".steps li").count() == 5 and _fits(page)
    assert_page_layout(page)
    page.fill("#id_mobile", mobile)
    page.get_by_role("button", name="获取验证码").click()
    page.fill("#id_code", sms_code_for(mobile))
    page.fill("#id_password", "Kexie-2026-ok")
    page.fill("#id_password_confirm", "Kexie-2026-ok")
    page.get_by_role("button", name="注册").click()

    assert "/consent/" in page.url and _current_step(page).startswith("授权")
    assert page.locator(".steps li.done").count() == 1
    page.get_by_role("button", name="我已阅读并同意").click()

    assert page.url.endswith("/me/profile/") and _current_step(page).startswith("个人资料")
    page.fill("#id_name", "赵科普")
    # The ID number gives the birth date and, by its 17th digit, the gender; the form checks they agree.
    page.select_option("#id_gender", "male" if n % 2 else "female")
    page.fill("#id_birth_date", "1980-01-01")
    page.fill("#id_id_number", valid_id_number(n))
    page.fill("#id_employer", "井陉县科学技术馆")
    page.fill("#id_discipline", "科普")
    page.select_option("#id_education", "bachelor")
    page.select_option("#id_title", "intermediate")
    page.get_by_role("button", name="保存个人资料").click()
    assert page.locator(".msg-success").count() == 1, page.locator(".error-summary, .errors").all_inner_texts()
    page.get_by_role("link", name="添加奖励或荣誉").click()
    assert _current_step(page).startswith("个人资料")
    page.fill("#id_name", "井陉县科普先进工作者")
    page.select_option("#id_level", "county")
    page.fill("#id_year", "2023")
    evidence = tmp_path / "证书.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.set_input_files("#id_evidence", str(evidence))
    page.get_by_role("button", name="保存").click()
    page.get_by_role("link", name="下一步：选择组织").click()

    assert _current_step(page).startswith("选择组织")
    page.fill("#id_q", "井陉县")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name="申请加入石家庄市井陉县科学技术协会").click()
    assert _current_step(page).startswith("提交申请")
    assert page.locator(".steps li.done").count() == 4 and _fits(page)
    assert_page_layout(page)
    page.get_by_label("本人热爱祖国").check()
    page.get_by_role("button", name="提交申请").click()

    application = Application.objects.get(person__user__username=mobile)
    assert page.locator("#application-reference").inner_text() == application.reference
    assert f"申请编号 {application.reference}" in page.locator(".msg-success").inner_text()
    assert f"办理时限为 {application.handling_days} 个工作日" in page.locator("#what-happens-next").inner_text()
    assert page.locator(".steps").count() == 0
    assert_page_layout(page)

    # While it is being reviewed, the home page follows the application instead of offering to apply.
    page.goto(base + "/")
    assert application.reference in page.locator("#application-progress").inner_text()
    assert page.get_by_text("选择组织，申请入会").count() == 0

    membership = services.application_approve(application=application, reviewer=reviewer)

    page.goto(base + "/")
    cards = page.locator("#membership-cards")
    assert membership.number in cards.inner_text()
    assert page.get_by_text("选择组织，申请入会").count() == 0
    assert "会员证" in page.locator(".notice").first.inner_text()
    assert _fits(page)
    assert_page_layout(page)
    if device == "phone":
        screenshot(page, "applicant-home-member-phone")

    # The approval notice leads to the card.
    page.get_by_role("link", name="通知").first.click()
    page.locator(".notice", has_text="已批准").get_by_role("link", name="查看").click()
    assert page.url.endswith(f"/me/memberships/{membership.pk}/")
    assert page.locator("#member-number").inner_text() == membership.number
    assert_page_layout(page)
    if device == "desktop":
        screenshot(page, "member-card-desktop")

    href = page.locator("#certificate-download").get_attribute("href")
    response = page.request.get(base + href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert membership.number in text and "赵科普" in text
