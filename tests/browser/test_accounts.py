"""A forgotten password reset on a phone; an administrator enrolling and using a TOTP authenticator."""

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from tests.browser.conftest import DESKTOP, PHONE, login, screenshot
from tests.conftest import PASSWORD, sms_code_for


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_forgotten_password_is_reset_with_an_sms_code_on_a_phone(new_page, live_server, make_user):
    make_user("13700137101", mobile="13700137101")
    page = new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="忘记密码？").click()
    page.fill("#id_account", "137 0013 7101")
    page.get_by_role("button", name="获取验证码").click()
    assert "如果该手机号码或邮箱已注册，验证码已发送" in page.locator(".msg-success").inner_text()
    page.fill("#id_code", sms_code_for("13700137101"))
    page.fill("#id_new_password1", "Xin-mima-2026")
    page.fill("#id_new_password2", "Xin-mima-2026")
    assert _fits_the_screen(page)
    screenshot(page, "password-reset-phone")
    page.get_by_role("button", name="重置密码").click()
    assert page.url.endswith("/accounts/login/")
    assert "密码已重置" in page.locator(".msg-success").inner_text()

    login(page, live_server, "13700137101", PASSWORD)
    assert "/accounts/login/" in page.url  # the old password no longer works
    login(page, live_server, "13700137101", "Xin-mima-2026")
    assert page.url.endswith("/me/")


def _authenticator_code(secret_text: str, *, steps_ahead: int = 0) -> str:
    secret = secret_text.replace(" ", "")
    totp = TOTP(b32decode(secret + "=" * (-len(secret) % 8)))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_administrator_enrols_an_authenticator_and_signs_in_with_it(new_page, live_server, admin_a, settings):
    settings.TWO_FACTOR_REQUIRED = True
    page = new_page(viewport=DESKTOP)
    login(page, live_server, "admin_a", PASSWORD)
    assert "/console/two-factor/setup/" in page.url
    assert page.locator("img.qr-code").evaluate("img => img.naturalWidth > 0")
    secret = page.locator("#totp-secret").inner_text()
    screenshot(page, "two-factor-setup")
    page.fill("#id_token", _authenticator_code(secret))
    page.get_by_role("button", name="完成绑定").click()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="我已保存，继续").click()
    assert "/console/" in page.url and "two-factor" not in page.url

    page.get_by_role("button", name="退出").click()
    login(page, live_server, "admin_a", PASSWORD)
    assert "/console/two-factor/verify/" in page.url
    screenshot(page, "two-factor-verify")
    # The code of the next 30-second step (a phone clock a little ahead): the enrolment's code is spent.
    page.fill("#id_token", _authenticator_code(secret, steps_ahead=1))
    page.check("#id_remember")
    page.get_by_role("button", name="验证").click()
    assert "/console/" in page.url and "two-factor" not in page.url

    # Remembered: signing in again in this browser asks for the password only.
    page.get_by_role("button", name="退出").click()
    login(page, live_server, "admin_a", PASSWORD)
    assert "two-factor" not in page.url and "/accounts/login/" not in page.url
