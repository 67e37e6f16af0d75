"""Every message is Chinese, Django's own included, whatever language the browser asks for."""

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import register_via_form


def test_the_site_speaks_simplified_chinese_only():
    assert settings.LANGUAGE_CODE == "zh-hans" and [code for code, _ in settings.LANGUAGES] == ["zh-hans"]
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


@pytest.mark.django_db
@pytest.mark.parametrize("accept_language", ["en-US,en;q=0.9", "de-DE", ""])
def test_djangos_own_validation_messages_are_chinese_for_an_english_browser(accept_language):
    client = Client(HTTP_ACCEPT_LANGUAGE=accept_language)
    response = client.post("/register/", {"mobile": "13900139123", "password": "x", "password_confirm": ""})
    form = response.context["form"]
    assert form.errors["password_confirm"] == ["这个字段是必填项。"]
    assert response["Content-Language"] == "zh-hans"
    # Django's password validators, reached once the text-message code is right.
    response = register_via_form(client, "13900139123", password="13900139123")
    messages = " ".join(response.context["form"].errors["password"])
    assert "过于相似" in messages and "全部是数字" in messages and "password" not in messages.lower()
