"""A form that comes back with errors shows a summary above the page heading, moves the focus to the first field
in error, keeps what was typed (never a password or a full ID number), and speaks Chinese, Django's own
validation messages included."""

import re

import pytest

from approvals import services as approvals
from orgs.models import Org
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, login
from tests.browser.layout import assert_error_summary_on_top, assert_labels_and_contrast
from tests.conftest import PASSWORD, sms_code_for

VIEWPORTS = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
ENGLISH_WORDS = re.compile(r"[A-Za-z]{4,}")


def _summary(page) -> str:
    return page.locator(".error-summary").inner_text()


def _register(page, *, mobile: str, password: str, confirm: str, email: str = "", code: bool = False) -> str:
    """Fill the registration form (asking for the text-message code first when `code`), send it, and return the
    error summary it comes back with."""
    page.fill("#id_mobile", mobile)
    if code:
        page.get_by_role("button", name="获取验证码").click()
        page.wait_for_load_state("networkidle")
        page.fill("#id_code", sms_code_for(mobile))
    page.fill("#id_password", password)
    page.fill("#id_password_confirm", confirm)
    if email:
        page.fill("#id_email", email)
    page.get_by_role("button", name="注册").click()
    page.wait_for_load_state("networkidle")
    assert_error_summary_on_top(page)
    return _summary(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_failed_decision_is_summarised_on_top_with_the_focus_on_the_reason(new_page, live_server, hebei, make_admin,
                                                                           make_applicant, viewport):
    county = Org.objects.filter(parent__name="石家庄市科学技术协会", kind="kexie", level="county").order_by("code")[0]
    make_admin(county, "errors_reviewer")
    application = approvals.application_submit(person=make_applicant("错误摘要"), org=county, declaration_accepted=True)
    page = new_page(viewport=viewport)
    login(page, live_server, "errors_reviewer", PASSWORD)
    page.goto(f"{live_server.url}/console/review/{application.pk}/")
    page.get_by_label("不予通过", exact=True).check()
    page.get_by_role("button", name="提交审核决定").click()
    page.wait_for_load_state("networkidle")

    assert_error_summary_on_top(page)
    assert _summary(page) == "未能提交：有 1 处需要修改\n审核意见：不予通过时必须填写理由"
    assert page.evaluate("document.activeElement.id") == "id_comment"
    assert page.locator("#id_comment").is_visible() and page.evaluate(
        "(() => { const r = document.activeElement.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()"
    ), "the field in error is scrolled into view"
    assert page.get_by_label("不予通过", exact=True).is_checked()
    assert page.locator("#id_comment").get_attribute("aria-describedby").split()[-1] == "id_comment_error"
    assert_labels_and_contrast(page)
    if viewport is PHONE:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / "review-decision-error-phone.png"))  # the top of the page, as seen

    # The summary's link takes the keyboard back to the field.
    page.locator("#id_comment").blur()
    page.get_by_role("link", name="审核意见：不予通过时必须填写理由").click()
    assert page.evaluate("document.activeElement.id") == "id_comment"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_registration_errors_list_every_field_keep_what_was_typed_and_are_in_chinese(new_page, live_server, hebei,
                                                                                   viewport):
    page = new_page(viewport=viewport)
    page.goto(f"{live_server.url}/register/")
    summary = _register(page, mobile="1380013", password="12345678", confirm="12345679", email="wang@example.com")
    assert "手机号码：" in summary and "再次输入密码：两次输入的密码不一致" in summary
    assert page.evaluate("document.activeElement.id") == "id_mobile"
    assert page.input_value("#id_mobile") == "1380013" and page.input_value("#id_email") == "wang@example.com"
    assert page.input_value("#id_password") == "" and "12345678" not in page.content()

    # The password policy (kexie/passwords.py) answers in Chinese, every rule that failed.
    summary = _register(page, mobile="13800138123", password="13800138123", confirm="13800138123", code=True)
    assert "密码：" in summary and "过于相似" in summary and "全部是数字" in summary and "手机号码" in summary
    assert not ENGLISH_WORDS.search(summary), summary
    assert page.evaluate("document.activeElement.id") == "id_password"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_failed_login_is_summarised_once_with_the_focus_on_the_password(new_page, live_server, hebei, make_admin):
    make_admin(hebei, "errors_login")
    page = new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "errors_login")
    page.fill("#id_password", "wrong-password")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
    assert_error_summary_on_top(page)
    assert page.get_by_text("用户名或密码不正确").count() == 1
    assert page.evaluate("document.activeElement.id") == "id_password"
    assert page.input_value("#id_username") == "errors_login"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_account_form_with_a_weak_password_explains_in_chinese(new_page, live_server, hebei, make_admin):
    city = Org.objects.get(name="石家庄市科学技术协会")
    county = Org.objects.filter(parent=city, kind="kexie").order_by("code")[0]
    make_admin(city, "errors_city")
    page = new_page(viewport=DESKTOP)
    login(page, live_server, "errors_city", PASSWORD)
    page.goto(f"{live_server.url}/console/accounts/new/")
    page.select_option("#id_org", str(county.pk))
    page.fill("#id_username", "jingxing2026")
    page.fill("#id_full_name", "井陉管理员")
    page.fill("#id_password", "jingxing2026")
    page.get_by_role("button", name="创建账号").click()
    page.wait_for_load_state("networkidle")
    assert_error_summary_on_top(page)
    summary = _summary(page)
    assert "过于相似" in summary and not ENGLISH_WORDS.search(summary.replace("jingxing2026", "")), summary
    assert page.input_value("#id_username") == "jingxing2026" and page.input_value("#id_full_name") == "井陉管理员"
