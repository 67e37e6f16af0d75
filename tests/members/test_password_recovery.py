"""找回密码 by a code to the mobile or to a verified email; the answers never tell whether an account exists."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from members.models import Notice, VerificationCode
from orgs.models import AuditEvent
from tests.conftest import PASSWORD, login_via_form, sms_code_for

pytestmark = pytest.mark.django_db

User = get_user_model()
URL = "/accounts/password/reset/"
NEW = "Xin-mima-2026"


def _ask(client, account):
    return client.post(reverse("members:password_reset"), {"account": account, "action": "send_code"})


def _reset(client, account, code, password=NEW, confirm=None):
    return client.post(
        reverse("members:password_reset"),
        {"account": account, "code": code, "new_password1": password, "new_password2": confirm or password},
    )


def test_the_url_is_the_public_recovery_page_linked_from_the_login_page(client):
    assert reverse("members:password_reset") == URL
    assert URL in client.get(reverse("login")).content.decode()


def test_a_forgotten_password_is_reset_with_a_code_to_the_mobile(client, make_user, sms_outbox):
    user = make_user("13800138200", mobile="13800138200")
    elsewhere = Client()
    assert login_via_form(elsewhere, "13800138200")

    response = _ask(client, "138 0013 8200")
    assert "如果该手机号码或邮箱已注册，验证码已发送" in response.content.decode()
    assert [m.mobile for m in sms_outbox] == ["13800138200"] and "找回密码" in sms_outbox[0].text
    response = _reset(client, "13800138200", sms_code_for("13800138200"))
    assert response.status_code == 302 and response["Location"] == reverse("login")

    user.refresh_from_db()
    assert user.check_password(NEW) and not user.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="user.password_reset", object_id=str(user.pk), data__channel="sms").exists()
    assert Notice.objects.filter(user=user, title="您的登录密码已重置").exists()
    # The session signed in with the old password has ended.
    assert elsewhere.get(reverse("members:me")).status_code == 302
    assert login_via_form(Client(), "13800138200", NEW)


def test_an_unknown_number_gets_the_same_answer_and_no_message(client, make_user, sms_outbox):
    make_user("13800138201", mobile="13800138201")
    known = _ask(client, "13800138201").content.decode()
    unknown = _ask(client, "13800138299").content.decode()
    assert [m.mobile for m in sms_outbox] == ["13800138201"]
    for body in (known, unknown):
        assert "如果该手机号码或邮箱已注册，验证码已发送" in body
    # The limits answer alike too: both numbers now wait out the resend interval.
    again_known = _ask(client, "13800138201").context["form"].errors["account"]
    again_unknown = _ask(client, "13800138299").context["form"].errors["account"]
    assert re.sub(r"\d+", "N", again_known[0]) == re.sub(r"\d+", "N", again_unknown[0])
    assert VerificationCode.objects.filter(address="13800138299").count() == 1
    response = _reset(client, "13800138299", "123456")
    assert "验证码" in " ".join(response.context["form"].errors["code"])
    assert not User.objects.filter(mobile="13800138299").exists()


def test_a_wrong_code_or_a_weak_password_changes_nothing_and_a_weak_password_keeps_the_code(client, make_user):
    user = make_user("13800138202", mobile="13800138202")
    _ask(client, "13800138202")
    code = sms_code_for("13800138202")
    weak = _reset(client, "13800138202", code, password="12345678")
    assert weak.status_code == 200 and weak.context["form"].errors["new_password1"]
    mismatch = _reset(client, "13800138202", code, password=NEW, confirm=NEW + "x")
    assert "不一致" in " ".join(mismatch.context["form"].errors["new_password2"])
    wrong = _reset(client, "13800138202", "000000" if code != "000000" else "111111")
    assert "验证码不正确" in " ".join(wrong.context["form"].errors["code"])
    body = wrong.content.decode()
    assert 'value="13800138202"' in body and NEW not in body
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert _reset(client, "13800138202", code).status_code == 302


def test_a_deactivated_account_cannot_be_recovered(client, make_user, sms_outbox):
    make_user("13800138203", mobile="13800138203", is_active=False)
    _ask(client, "13800138203")
    assert sms_outbox == []


def test_recovery_by_email_works_only_for_a_verified_address(client, make_user):
    user = make_user("13800138204", mobile="13800138204", email="Zhou@Example.com")
    _ask(client, "zhou@example.com")
    assert mail.outbox == []  # not verified yet

    signed_in = Client()
    signed_in.force_login(user)
    signed_in.post(reverse("members:email_verify"), {"action": "send_code"})
    [message] = mail.outbox
    assert message.to == ["Zhou@Example.com"]
    code = re.search(r"验证码 (\d{6})", message.body).group(1)
    response = signed_in.post(reverse("members:email_verify"), {"code": code})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None

    # A minute later (the unverified request above started the resend interval).
    for row in VerificationCode.objects.filter(address="zhou@example.com"):
        VerificationCode.objects.filter(pk=row.pk).update(created_at=row.created_at - timedelta(seconds=61))
    mail.outbox.clear()
    _ask(client, "ZHOU@example.com")
    [message] = mail.outbox
    code = re.search(r"验证码 (\d{6})", message.body).group(1)
    assert _reset(client, "zhou@example.com", code).status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert AuditEvent.objects.filter(action="user.password_reset", object_id=str(user.pk), data__channel="email").exists()


def test_a_reset_clears_the_lockout_left_by_wrong_passwords(client, make_user, settings):
    make_user("13800138205", mobile="13800138205")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("login"), {"username": "13800138205", "password": "wrong-password"})
    assert not login_via_form(Client(), "13800138205")
    _ask(client, "13800138205")
    assert _reset(client, "13800138205", sms_code_for("13800138205")).status_code == 302
    assert login_via_form(Client(), "13800138205", NEW)
