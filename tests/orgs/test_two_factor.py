"""Two-factor sign-in (TOTP) for administrators and staff: enrolment with a QR code, recovery codes, a
remembered browser for at most 12 hours, and the reset of a lost authenticator by the organisation above."""

import base64
import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from orgs.middleware import REMEMBER_COOKIE
from orgs.models import AuditEvent
from orgs.services.two_factor import two_factor_enrolment_confirm, two_factor_enrolment_start
from tests.conftest import login_via_form

pytestmark = pytest.mark.django_db

DASHBOARD = "/console/dashboard/"


@pytest.fixture(autouse=True)
def two_factor_required(settings):
    settings.TWO_FACTOR_REQUIRED = True


def _token(device: TOTPDevice, offset_steps: int = 0) -> str:
    """What the authenticator app shows now (or `offset_steps` steps away): the app knows no drift."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


def _enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = two_factor_enrolment_start(user=user)
    # The previous time step: later steps stay usable for the sign-ins a test does next.
    return two_factor_enrolment_confirm(user=user, token=_token(device, -1))


def _signed_in(username: str) -> Client:
    client = Client()
    assert login_via_form(client, username)
    return client


def test_an_administrator_without_an_authenticator_must_enrol_before_any_console_page(admin_a):
    client = _signed_in("admin_a")
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('orgs:two_factor_setup')}?next=/console/dashboard/"
    # Even a page of the Django-admin kind or a list: everything in the console waits for the second factor.
    assert client.get(reverse("orgs:account_list")).status_code == 302


def test_an_applicant_is_not_asked_for_a_second_factor(applicant):
    client = Client()
    assert login_via_form(client, applicant.user.username)
    assert client.get(reverse("members:me")).status_code == 200


def test_enrolment_shows_a_qr_code_and_the_secret_and_a_right_code_gives_ten_recovery_codes(admin_a):
    client = _signed_in("admin_a")
    page = client.get(reverse("orgs:two_factor_setup") + "?next=/console/dashboard/")
    body = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in body
    device = TOTPDevice.objects.get(user=admin_a, confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', body).group(1).replace(" ", "")
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    assert "no-store" in page["Cache-Control"]

    wrong = client.post(reverse("orgs:two_factor_setup"), {"token": "000000" if _token(device) != "000000" else "111111"})
    assert "验证码不正确" in " ".join(wrong.context["form"].errors["token"])
    assert client.get(DASHBOARD).status_code == 302
    time.sleep(1.1)  # django-otp's throttle after one wrong code: one second

    done = client.post(reverse("orgs:two_factor_setup"), {"token": _token(device), "next": DASHBOARD})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    codes = re.findall(r"<li>([a-z2-7]{4}-[a-z2-7]{4})</li>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    # Only digests are stored.
    stored = set(StaticToken.objects.filter(device__user=admin_a).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & {c.replace("-", "") for c in codes}
    assert client.get(DASHBOARD).status_code == 200
    assert AuditEvent.objects.filter(action="two_factor.enrol", object_id=str(admin_a.pk)).exists()


def test_after_signing_in_the_authenticator_code_is_asked_and_a_wrong_one_refused(admin_a):
    device, _codes = _enrolled(admin_a)
    client = _signed_in("admin_a")
    response = client.get(DASHBOARD)
    assert response["Location"] == f"{reverse('orgs:two_factor_verify')}?next=/console/dashboard/"
    current = _token(device)
    wrong = client.post(reverse("orgs:two_factor_verify"), {"token": "000000" if current != "000000" else "111111"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["token"]
    # django-otp throttles after a failure: even the right code waits a moment, so guessing is slow.
    throttled = client.post(reverse("orgs:two_factor_verify"), {"token": current})
    assert throttled.status_code == 200
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    response = client.post(reverse("orgs:two_factor_verify"), {"token": current, "next": DASHBOARD})
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_a_recovery_code_signs_in_once_and_is_audited(admin_a):
    _device, codes = _enrolled(admin_a)
    client = _signed_in("admin_a")
    response = client.post(reverse("orgs:two_factor_verify"), {"token": codes[3].upper(), "next": DASHBOARD})
    assert response.status_code == 302
    assert client.get(DASHBOARD).status_code == 200
    event = AuditEvent.objects.get(action="two_factor.recovery_code_used", object_id=str(admin_a.pk))
    assert event.data["left"] == 9
    again = _signed_in("admin_a").post(reverse("orgs:two_factor_verify"), {"token": codes[3]})
    assert again.status_code == 200


def test_a_remembered_browser_skips_the_code_for_at_most_twelve_hours(admin_a, settings):
    settings.TWO_FACTOR_REMEMBER = timedelta(hours=48)  # configured too long: still 12 hours
    device, _codes = _enrolled(admin_a)
    client = _signed_in("admin_a")
    response = client.post(reverse("orgs:two_factor_verify"), {"token": _token(device), "remember": "on"})
    cookie = response.cookies[REMEMBER_COOKIE]
    assert cookie["max-age"] == 12 * 3600 and cookie["httponly"]
    client.post(reverse("logout"))
    assert login_via_form(client, "admin_a")
    assert client.get(DASHBOARD).status_code == 200  # remembered

    client.post(reverse("logout"))
    assert login_via_form(client, "admin_a")
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 12 * 3600 + 5):
        assert client.get(DASHBOARD).status_code == 302


def test_a_new_password_or_a_reset_forgets_remembered_browsers(admin_a, city_admin):
    device, _codes = _enrolled(admin_a)
    client = _signed_in("admin_a")
    client.post(reverse("orgs:two_factor_verify"), {"token": _token(device), "remember": "on"})
    remembered = client.cookies[REMEMBER_COOKIE].value

    admin_a.set_password("Another-pass-2026")
    admin_a.save()
    fresh = Client()
    assert login_via_form(fresh, "admin_a", "Another-pass-2026")
    fresh.cookies[REMEMBER_COOKIE] = remembered
    assert fresh.get(DASHBOARD).status_code == 302


def test_the_city_administrator_resets_a_county_administrators_lost_authenticator(
    admin_a, city_admin, admin_b, county_a, settings
):
    _enrolled(admin_a)
    url = reverse("orgs:account_two_factor_reset", args=[admin_a.pk])
    # The acting administrators sign in with force_login: their own second factor is not what is tested here.
    settings.TWO_FACTOR_REQUIRED = False
    sibling = Client()
    sibling.force_login(admin_b)
    assert sibling.post(url).status_code == 404
    own = Client()
    own.force_login(admin_a)
    assert own.post(url).status_code == 404
    city = Client()
    city.force_login(city_admin)
    page = city.get(reverse("orgs:account_list")).content.decode()
    assert "重置双因素认证" in page and "data-confirm" in page
    response = city.post(url)
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=admin_a).exists()
    assert not StaticToken.objects.filter(device__user=admin_a).exists()
    event = AuditEvent.objects.get(action="admin_account.two_factor_reset", object_id=str(admin_a.pk))
    assert event.actor == city_admin and event.org == county_a
    # At the next sign-in the account enrols again.
    settings.TWO_FACTOR_REQUIRED = True
    client = _signed_in("admin_a")
    assert client.get(DASHBOARD)["Location"].startswith(reverse("orgs:two_factor_setup"))


def test_staff_authenticators_are_reset_by_the_province_only(staff, province_admin, city_admin, settings):
    _enrolled(staff)
    url = reverse("orgs:account_two_factor_reset", args=[staff.pk])
    settings.TWO_FACTOR_REQUIRED = False
    city = Client()
    city.force_login(city_admin)
    assert city.post(url).status_code == 404
    province = Client()
    province.force_login(province_admin)
    assert province.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()


def test_new_recovery_codes_need_the_current_code_and_replace_the_old_ones(admin_a):
    device, old = _enrolled(admin_a)
    client = _signed_in("admin_a")
    client.post(reverse("orgs:two_factor_verify"), {"token": old[0]})
    refused = client.post(reverse("orgs:two_factor_codes_regenerate"), {"token": "12345"}, follow=True)
    assert "6 位数字" in refused.content.decode()
    response = client.post(reverse("orgs:two_factor_codes_regenerate"), {"token": _token(device)})
    new = re.findall(r"<li>([a-z2-7]{4}-[a-z2-7]{4})</li>", response.content.decode())
    assert len(new) == 10
    assert _signed_in("admin_a").post(reverse("orgs:two_factor_verify"), {"token": old[1]}).status_code == 200
    time.sleep(1.1)  # django-otp's throttle after one wrong code
    assert _signed_in("admin_a").post(reverse("orgs:two_factor_verify"), {"token": new[0]}).status_code == 302


def test_the_django_admin_also_needs_the_second_factor(make_user):
    make_user("root", is_superuser=True, is_staff=True)
    client = Client()
    client.post(reverse("admin:login"), {"username": "root", "password": "Test-pass-2026"})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("orgs:two_factor_setup"))


def test_the_demo_setting_lets_administrators_in_without_a_second_factor(admin_a, settings):
    settings.TWO_FACTOR_REQUIRED = False
    assert _signed_in("admin_a").get(DASHBOARD).status_code == 200
