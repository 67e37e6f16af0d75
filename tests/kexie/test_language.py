"""Every message is Chinese, Django's own included, whatever language the browser asks for."""

import pytest
from django.conf import settings
from django.test import Client


def test_the_site_speaks_simplified_chinese_only():
    assert settings.LANGUAGE_CODE == "zh-hans" and [code for code, _ in settings.LANGUAGES] == ["zh-hans"]
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


@pytest.mark.django_db
@pytest.mark.parametrize("accept_language", ["en-US,en;q=0.9", "de-DE", ""])
def test_djangos_own_validation_messages_are_chinese_for_an_english_browser(accept_language):
    response = Client().post(
        "/register/",
        {"mobile": "13900139123", "password": "13900139123", "password_confirm": ""},
        HTTP_ACCEPT_LANGUAGE=accept_language,
    )
    form = response.context["form"]
    assert form.errors["password_confirm"] == ["这个字段是必填项。"]
    assert response["Content-Language"] == "zh-hans"
    # Django's password validators, through a form that runs them (registration needs an SMS code first).
    from django.contrib.auth import get_user_model

    from orgs.models import Org
    from orgs.permissions import grant_administer

    from django.utils import timezone

    admin = get_user_model().objects.create_user(
        "lang_admin", password="Lang-check-2026", password_changed_at=timezone.now()
    )
    city = Org.objects.get(name="石家庄市科学技术协会")
    grant_administer(admin, city)
    client = Client(HTTP_ACCEPT_LANGUAGE=accept_language)
    client.force_login(admin)
    county = Org.objects.filter(parent=city).order_by("code").first()
    response = client.post(
        "/console/accounts/new/",
        {"org": county.pk, "username": "county_x", "full_name": "县管理员", "password": "13900139123"},
    )
    messages = " ".join(response.context["form"].errors["password"])
    assert "只包含数字" in messages and "password" not in messages.lower()
