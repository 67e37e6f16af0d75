"""Login lockout keyed on username and client address, behind a trusted proxy and with forged headers; the
per-username ceiling across addresses asks for a proof of work and never locks the owner out."""

import base64
import json
import re

import altcha
import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from kexie.login_challenge import FIELD, login_challenge_work, login_failure_record
from tests.conftest import PASSWORD

PROXY = "10.0.0.1"
LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("trust_proxy")]


@pytest.fixture
def trust_proxy():
    with override_settings(TRUSTED_PROXIES=[PROXY]):
        yield


def _via_proxy(address: str) -> Client:
    """A browser at `address` whose requests reach Django through the trusted proxy."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)


def _attempt(client: Client, username: str, password: str, url: str = LOGIN, **data):
    response = client.post(url, {"username": username, "password": password, **data})
    return response, "_auth_user_id" in client.session


def _fail_from_many_addresses(username: str, failures: int) -> None:
    """Failures spread so that no single address reaches django-axes' per-address limit."""
    for i in range(failures):
        _attempt(_via_proxy(f"203.0.113.{i // 2 + 1}"), username, "wrong-password")


def _solve(response) -> str:
    """What the browser script does: find the number behind the challenge the page carries."""
    match = re.search(r'<script id="login-check-challenge" type="application/json">(.*?)</script>',
                      response.content.decode(), re.S)
    assert match, "the page carries no challenge"
    challenge = json.loads(match.group(1))
    solution = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxNumber"]
    )
    payload = {key: challenge[key] for key in ("algorithm", "challenge", "salt", "signature")}
    payload["number"] = solution.number
    return base64.b64encode(json.dumps(payload).encode()).decode()


def test_a_victim_is_never_locked_out_by_failures_from_another_address(admin_a):
    attacker = _via_proxy("203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(attacker, "admin_a", "wrong-password")
    response, signed_in = _attempt(attacker, "admin_a", PASSWORD)
    assert not signed_in and response.status_code == 429
    # Same proxy, the victim's own address: the lockout is not theirs.
    assert _attempt(_via_proxy("198.51.100.7"), "admin_a", PASSWORD)[1]


def test_a_forged_prefix_through_the_proxy_does_not_escape_the_lockout(admin_a):
    """A client that writes its own X-Forwarded-For still gets the proxy's view of it appended, and that counts."""
    attacker = Client(REMOTE_ADDR=PROXY)
    for i in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(LOGIN, {"username": "admin_a", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.9")
    response = attacker.post(
        LOGIN, {"username": "admin_a", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.9"
    )
    assert response.status_code == 429 and "_auth_user_id" not in attacker.session


def test_a_forged_header_from_an_untrusted_peer_is_ignored(admin_a):
    """Straight to gunicorn, bypassing the proxy: the header is the attacker's own and changes nothing."""
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(LOGIN, {"username": "admin_a", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    response = attacker.post(LOGIN, {"username": "admin_a", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429 and "_auth_user_id" not in attacker.session
    # Nor can the forged header lock out the address it names.
    assert _attempt(_via_proxy("198.51.100.7"), "admin_a", PASSWORD)[1]


def test_django_admin_login_has_the_same_lockout(make_user):
    make_user("root", is_staff=True, is_superuser=True)
    attacker = _via_proxy("203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(attacker, "root", "wrong-password", url=ADMIN_LOGIN)
    response, signed_in = _attempt(attacker, "root", PASSWORD, url=ADMIN_LOGIN)
    assert not signed_in and response.status_code == 429
    assert _attempt(_via_proxy("198.51.100.7"), "root", PASSWORD, url=ADMIN_LOGIN)[1]


def test_past_the_per_username_ceiling_the_owner_signs_in_after_the_browser_check(admin_a):
    _fail_from_many_addresses("admin_a", settings.LOGIN_CHALLENGE_AFTER)
    owner = _via_proxy("198.51.100.7")
    response, signed_in = _attempt(owner, "admin_a", PASSWORD)
    assert not signed_in and response.status_code == 200
    page = response.content.decode()
    assert "需要先完成一次自动安全验证" in page and 'id="login-check-challenge"' in page
    assert "js/login-check" in page
    assert PASSWORD not in page
    # The refused attempt never reached the password check: it is no failure for django-axes.
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.filter(username="admin_a", ip_address="198.51.100.7").exists()
    response, signed_in = _attempt(owner, "admin_a", PASSWORD, **{FIELD: _solve(response)})
    assert signed_in, response.content.decode()[:500]


def test_below_the_ceiling_no_check_is_asked(admin_a):
    _fail_from_many_addresses("admin_a", settings.LOGIN_CHALLENGE_AFTER - 1)
    response, signed_in = _attempt(_via_proxy("198.51.100.7"), "admin_a", PASSWORD)
    assert signed_in and response.status_code == 302


def test_a_solved_check_is_accepted_once_and_only_for_its_username(admin_a, admin_b):
    _fail_from_many_addresses("admin_a", settings.LOGIN_CHALLENGE_AFTER)
    _fail_from_many_addresses("admin_b", settings.LOGIN_CHALLENGE_AFTER)
    owner = _via_proxy("198.51.100.7")
    payload = _solve(_attempt(owner, "admin_a", PASSWORD)[0])
    # Spent on a wrong password, then replayed with the right one: refused.
    assert not _attempt(owner, "admin_a", "wrong-password", **{FIELD: payload})[1]
    response, signed_in = _attempt(owner, "admin_a", PASSWORD, **{FIELD: payload})
    assert not signed_in and "自动安全验证" in response.content.decode()
    # Solved for admin_a, offered for admin_b: refused.
    other = _via_proxy("198.51.100.8")
    payload_a = _solve(_attempt(other, "admin_a", PASSWORD)[0])
    assert not _attempt(other, "admin_b", PASSWORD, **{FIELD: payload_a})[1]
    # A tampered payload is refused, not an error.
    assert not _attempt(other, "admin_b", PASSWORD, **{FIELD: "bm90IGpzb24="})[1]
    assert not _attempt(other, "admin_b", PASSWORD, **{FIELD: "%%%"})[1]


def test_the_work_grows_with_further_failures_up_to_the_cap():
    for _ in range(settings.LOGIN_CHALLENGE_AFTER):
        login_failure_record(username="target")
    first = login_challenge_work(username="target")
    assert first == settings.LOGIN_CHALLENGE_BASE_WORK
    for _ in range(settings.LOGIN_CHALLENGE_DOUBLING):
        login_failure_record(username="target")
    assert login_challenge_work(username="target") == 2 * first
    for _ in range(settings.LOGIN_CHALLENGE_DOUBLING * 20):
        login_failure_record(username="TARGET")  # case variants count together
    assert login_challenge_work(username="target") == settings.LOGIN_CHALLENGE_MAX_WORK


def test_django_admin_login_asks_for_the_check_past_the_ceiling(make_user):
    make_user("root", is_staff=True, is_superuser=True)
    _fail_from_many_addresses("root", settings.LOGIN_CHALLENGE_AFTER)
    owner = _via_proxy("198.51.100.7")
    response, signed_in = _attempt(owner, "root", PASSWORD, url=ADMIN_LOGIN)
    assert not signed_in
    page = response.content.decode()
    assert 'id="login-check-challenge"' in page and "js/login-check" in page
    assert _attempt(owner, "root", PASSWORD, url=ADMIN_LOGIN, **{FIELD: _solve(response)})[1]
