"""Administrators' passwords expire (PASSWORD_EXPIRY_DAYS, default 90) and initial passwords are changed at once."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orgs.services.accounts import admin_account_create
from tests.conftest import PASSWORD, login_via_form

pytestmark = pytest.mark.django_db

User = get_user_model()
DASHBOARD = "/console/dashboard/"


def _age_password(user, days: int) -> None:
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=days))


def _change(client, old: str, new: str):
    return client.post(
        reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new}
    )


def test_setting_a_password_records_when(make_user):
    user = make_user("someone")
    assert timezone.now() - user.password_changed_at < timedelta(minutes=1)


def test_an_administrator_with_a_password_older_than_ninety_days_must_change_it_first(admin_a, settings):
    assert settings.PASSWORD_EXPIRY_DAYS == 90
    client = Client()
    assert login_via_form(client, "admin_a")
    _age_password(admin_a, 89)
    assert client.get(DASHBOARD).status_code == 200
    _age_password(admin_a, 91)
    response = client.get(DASHBOARD, follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_change")
    assert "您的密码已使用超过 90 天" in response.content.decode()

    same = _change(client, PASSWORD, PASSWORD)
    assert "新密码不能与当前密码相同" in " ".join(same.context["form"].errors["new_password2"])
    assert client.get(DASHBOARD).status_code == 302
    assert _change(client, PASSWORD, "Xin-Mima-2026-a").status_code == 302
    assert client.get(DASHBOARD).status_code == 200


def test_an_initial_password_set_by_the_organisation_above_is_changed_at_the_first_sign_in(city_admin, county_a):
    admin_account_create(
        actor=city_admin, org=county_a, username="jx_new", full_name="新管理员", password="Chushi-mima-2026"
    )
    client = Client()
    assert login_via_form(client, "jx_new", "Chushi-mima-2026")
    response = client.get(DASHBOARD, follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_change")
    assert "请先修改管理员为您设置的初始密码" in response.content.decode()
    assert _change(client, "Chushi-mima-2026", "Ziji-mima-2026x").status_code == 302
    assert client.get(DASHBOARD).status_code == 200


def test_applicants_passwords_do_not_expire(applicant):
    _age_password(applicant.user, 400)
    client = Client()
    assert login_via_form(client, applicant.user.username)
    assert client.get(reverse("members:me")).status_code == 200


def test_expiry_can_be_switched_off(admin_a, settings):
    settings.PASSWORD_EXPIRY_DAYS = 0
    _age_password(admin_a, 400)
    client = Client()
    assert login_via_form(client, "admin_a")
    assert client.get(DASHBOARD).status_code == 200


def test_expired_staff_can_still_sign_out(staff):
    _age_password(staff, 120)
    client = Client()
    assert login_via_form(client, "staff")
    assert client.get(DASHBOARD).status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session
