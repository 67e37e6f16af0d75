"""Registration with a mobile number proven by an SMS code, rate limits on registration and login."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from orgs.models import AuditEvent
from tests.conftest import register_via_form

pytestmark = pytest.mark.django_db


def test_registration_normalises_the_mobile_signs_in_and_goes_to_consent_first(client):
    response = register_via_form(client, "+86 138-0013-9000", email="")
    assert response.status_code == 302
    assert response["Location"] == reverse("members:consent")
    user = get_user_model().objects.get(username="13800139000")
    assert user.mobile == "13800139000"
    assert user.check_password("Kexie-2026-ok")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AuditEvent.objects.filter(action="user.register", object_id=str(user.pk)).exists()
    # The consent screen asks for nothing but consent: no ID number field before consent is given.
    page = client.get(reverse("members:consent")).content.decode()
    assert "身份证号码" in page and 'name="id_number"' not in page


def test_a_registered_user_can_sign_in_with_the_mobile_through_the_login_page(client):
    from tests.conftest import login_via_form

    register_via_form(client, "13800139001")
    client.logout()
    assert login_via_form(client, "13800139001", "Kexie-2026-ok")


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"mobile": "12345", "password": "Kexie-2026-ok", "password_confirm": "Kexie-2026-ok"}, "mobile", "手机号码"),
        ({"mobile": "13800139002", "password": "12345678", "password_confirm": "12345678"}, "password", "密码"),
        ({"mobile": "13800139002", "password": "Kexie-2026-ok", "password_confirm": "Kexie-2026-no"}, "password_confirm", "不一致"),
        ({"mobile": "13800139002", "password": "Kexie-2026-ok", "password_confirm": "Kexie-2026-ok", "email": "bad"}, "email", "有效"),
    ],
)
def test_bad_registration_input_gets_a_chinese_error_keeps_what_was_typed_and_creates_nothing(client, data, field, message):
    data = {"email": "keep@example.com", "code": "123456", **data}
    response = client.post(reverse("members:register"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    body = response.content.decode()
    assert f'value="{data["mobile"]}"' in body
    if data["email"] != "bad":
        assert 'value="keep@example.com"' in body
    assert not get_user_model().objects.exists()


def test_a_mobile_can_register_only_once_and_no_code_is_sent_for_a_registered_one(client, make_user, sms_outbox):
    make_user("13800139003", mobile="13800139003")
    response = client.post(reverse("members:register"), {"mobile": "138 0013 9003", "action": "send_code"})
    assert response.status_code == 200
    assert "已注册" in " ".join(response.context["form"].errors["mobile"])
    assert sms_outbox == []
    response = client.post(
        reverse("members:register"),
        {"mobile": "138 0013 9003", "code": "123456", "password": "Kexie-2026-ok", "password_confirm": "Kexie-2026-ok"},
    )
    assert response.status_code == 200
    assert "已注册" in " ".join(response.context["form"].errors["mobile"])


def test_registration_is_rate_limited_per_ip_with_a_chinese_429(client, monkeypatch):
    """Accounts created from one address are capped (300 an hour; 3 here); another address is not affected."""
    from kexie.ratelimit import REGISTRATION

    monkeypatch.setattr(REGISTRATION, "limit", 3)
    for i in range(3):
        assert register_via_form(client, f"1380014{i:04d}").status_code == 302
        client.logout()
    response = client.post(
        reverse("members:register"),
        {"mobile": "13800149999", "code": "123456", "password": "Kexie-2026-ok", "password_confirm": "Kexie-2026-ok"},
    )
    assert response.status_code == 429
    assert "操作过于频繁" in response.content.decode()
    assert not get_user_model().objects.filter(username="13800149999").exists()
    assert register_via_form(Client(REMOTE_ADDR="10.1.2.3"), "13800149998").status_code == 302


def test_failed_logins_from_one_ip_are_rate_limited_across_usernames(client, make_user):
    from kexie.ratelimit import LOGIN_FAILURES

    make_user("13800139004", mobile="13800139004")
    url = reverse("login")
    for i in range(LOGIN_FAILURES.limit):
        # Different usernames each time: django-axes (per username) never trips, only the IP limit can.
        response = client.post(url, {"username": f"nobody{i}", "password": "wrong-pass"})
        assert response.status_code == 200
    response = client.post(url, {"username": "13800139004", "password": "Test-pass-2026"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_successful_logins_do_not_use_up_the_login_limit(client, make_user):
    from kexie.ratelimit import LOGIN_FAILURES
    from tests.conftest import login_via_form

    make_user("13800139005", mobile="13800139005")
    for _ in range(LOGIN_FAILURES.limit + 2):
        assert login_via_form(client, "13800139005")
        client.logout()
