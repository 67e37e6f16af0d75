"""Login lockout (django-axes), the administrators' idle timeout and clickjacking protection."""

from unittest import mock

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, login_via_form

LOGIN = reverse("login")


def _attempt(client, username, password, **extra):
    response = client.post(LOGIN, {"username": username, "password": password}, **extra)
    return response, "_auth_user_id" in client.session


@pytest.mark.django_db
def test_five_failed_logins_lock_the_account_even_for_the_right_password(client, admin_a):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert not login_via_form(client, "admin_a", "wrong-password")
    response, signed_in = _attempt(client, "admin_a", PASSWORD)
    assert not signed_in
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


@pytest.mark.django_db
def test_four_failures_do_not_lock(client, admin_a):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login_via_form(client, "admin_a", "wrong-password")
    assert login_via_form(client, "admin_a", PASSWORD)


@pytest.mark.django_db
def test_lockout_is_per_username_and_ip(admin_a, admin_b):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(attacker, "admin_a", "wrong-password")
    assert not _attempt(attacker, "admin_a", PASSWORD)[1]
    # The real owner on another network still gets in, and other accounts from the attacker's IP are unaffected.
    assert _attempt(Client(REMOTE_ADDR="198.51.100.7"), "admin_a", PASSWORD)[1]
    assert _attempt(Client(REMOTE_ADDR="203.0.113.9"), "admin_b", PASSWORD)[1]


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(admin_a):
    """Without a trusted proxy in front, X-Forwarded-For is attacker-controlled and must not reset the key."""
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(settings.AXES_FAILURE_LIMIT):
        _attempt(attacker, "admin_a", "wrong-password", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    assert not _attempt(attacker, "admin_a", PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.99")[1]


@pytest.mark.django_db
def test_admin_is_signed_out_after_30_idle_minutes(client, admin_a):
    assert login_via_form(client, "admin_a")
    start = 1_800_000_000.0
    with mock.patch("orgs.middleware.time.time", return_value=start):
        assert client.get(reverse("approvals:queue")).status_code == 200
    with mock.patch("orgs.middleware.time.time", return_value=start + 29 * 60):
        assert client.get(reverse("approvals:queue")).status_code == 200
    # 29 minutes later counts from the last request, not from sign-in.
    with mock.patch("orgs.middleware.time.time", return_value=start + 29 * 60 + 29 * 60):
        assert client.get(reverse("approvals:queue")).status_code == 200
    with mock.patch("orgs.middleware.time.time", return_value=start + 58 * 60 + 31 * 60):
        response = client.get(reverse("approvals:queue"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert "超过 30 分钟未操作" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_applicants_are_not_subject_to_the_admin_idle_timeout(client, make_applicant):
    person = make_applicant("申请人")
    assert login_via_form(client, person.user.username)
    with mock.patch("orgs.middleware.time.time", return_value=1_800_000_000.0):
        client.get(reverse("members:me"))
    with mock.patch("orgs.middleware.time.time", return_value=1_800_000_000.0 + 3600):
        assert client.get(reverse("members:me")).status_code == 200


@pytest.mark.django_db
def test_pages_forbid_framing(client, admin_a):
    assert client.get(LOGIN)["X-Frame-Options"] == "DENY"
    client.force_login(admin_a)
    assert client.get(reverse("approvals:queue"))["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_console_pages_within_a_minute_do_not_rewrite_the_session(client, admin_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert login_via_form(client, "admin_a")
    start = 1_800_000_000.0
    with mock.patch("orgs.middleware.time.time", return_value=start):
        client.get(reverse("approvals:queue"))
    with mock.patch("orgs.middleware.time.time", return_value=start + 30), CaptureQueriesContext(connection) as seen:
        assert client.get(reverse("approvals:queue")).status_code == 200
    assert not [q for q in seen.captured_queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]
    with mock.patch("orgs.middleware.time.time", return_value=start + 90), CaptureQueriesContext(connection) as seen:
        assert client.get(reverse("approvals:queue")).status_code == 200
    assert [q for q in seen.captured_queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]
