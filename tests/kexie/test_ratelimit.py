"""Failed password checks are limited at every entrance: the login page, the admin's login page, and the
pages that check the signed-in user's password again."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from kexie.ratelimit import LOGIN_FAILURES, PASSWORD_CHECK_FAILURES
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def empty_cache(settings):
    settings.AXES_ENABLED = False  # these limits are under test, not django-axes' lock-out
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_the_admin_login_page_counts_failures_across_usernames(client):
    url = reverse("admin:login")
    for i in range(LOGIN_FAILURES.limit):
        assert client.post(url, {"username": f"nobody{i}", "password": "wrong-Pass-1"}).status_code == 200
    response = client.post(url, {"username": "someone", "password": "wrong-Pass-1"})
    assert response.status_code == 429
    assert "分钟后再试" in response.content.decode()


@pytest.mark.django_db
def test_wrong_old_passwords_on_the_password_change_page_are_limited(client, make_user):
    user = make_user("changer")
    client.force_login(user)
    url = reverse("password_change")
    data = {"old_password": "Wrong-pass-1", "new_password1": "Brand-new-2026", "new_password2": "Brand-new-2026"}
    for _ in range(PASSWORD_CHECK_FAILURES.limit):
        assert client.post(url, data).status_code == 200
    data["old_password"] = PASSWORD
    response = client.post(url, data)
    assert response.status_code == 429, "the right password after the limit must wait too: otherwise guessing goes on"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_one_account_hitting_the_limit_does_not_block_another(client, make_user):
    first, second = make_user("first"), make_user("second")
    client.force_login(first)
    url = reverse("password_change")
    for _ in range(PASSWORD_CHECK_FAILURES.limit):
        client.post(url, {"old_password": "Wrong-pass-1", "new_password1": "x", "new_password2": "x"})
    client.force_login(second)
    response = client.post(url, {"old_password": PASSWORD, "new_password1": "Brand-new-2026", "new_password2": "Brand-new-2026"})
    assert response.status_code == 302
