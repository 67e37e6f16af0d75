"""kexie.client_address decides the client address once; forwarded headers count only from a trusted proxy."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import reverse

from kexie.client_address import client_address
from kexie.middleware import ProxyHeadersMiddleware
from kexie.ratelimit import LOGIN_FAILURES
from orgs.models import AuditEvent

PROXY = "10.0.0.1"


def _request(remote_addr: str, forwarded_for: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


@override_settings(TRUSTED_PROXIES=[])
def test_without_a_trusted_proxy_the_socket_peer_is_the_client_whatever_the_header_says():
    assert client_address(_request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"
    assert client_address(_request("203.0.113.9")) == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=[PROXY])
def test_a_forwarded_header_from_a_peer_that_is_not_the_proxy_is_ignored():
    assert client_address(_request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=[PROXY])
def test_behind_the_trusted_proxy_the_address_it_appended_is_the_client():
    assert client_address(_request(PROXY, "198.51.100.7")) == "198.51.100.7"


@override_settings(TRUSTED_PROXIES=[PROXY])
def test_a_forged_prefix_passed_on_by_the_proxy_is_not_believed():
    """The client wrote everything left of what the proxy appended: only the rightmost untrusted hop counts."""
    assert client_address(_request(PROXY, "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/24"])
def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_address():
    assert client_address(_request("10.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.2")) == "198.51.100.7"


@override_settings(TRUSTED_PROXIES=[PROXY])
def test_garbage_in_the_header_stops_the_walk_at_the_last_well_formed_hop():
    assert client_address(_request(PROXY, "198.51.100.7, not-an-address")) == PROXY
    assert client_address(_request(PROXY, "")) == PROXY


@override_settings(TRUSTED_PROXIES=[PROXY])
def test_ipv4_mapped_ipv6_peers_are_reported_in_ipv4_form():
    assert client_address(_request("::ffff:203.0.113.9")) == "203.0.113.9"
    assert client_address(_request("::ffff:10.0.0.1", "198.51.100.7")) == "198.51.100.7"


def test_no_socket_address_gives_none():
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="")) is None


@override_settings(TRUSTED_PROXIES=[PROXY], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_x_forwarded_proto_counts_only_from_the_trusted_proxy():
    seen = {}

    def view(request):
        seen["secure"] = request.is_secure()
        return HttpResponse()

    middleware = ProxyHeadersMiddleware(view)
    middleware(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https"))
    assert seen["secure"] is False
    middleware(RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https"))
    assert seen["secure"] is True


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[PROXY])
def test_the_audit_trail_records_the_forwarded_client(client, admin_a):
    """An export written behind the proxy is audited with the client's address, not the proxy's."""
    from tests.conftest import login_via_form

    assert login_via_form(client, "admin_a")
    client.get(reverse("approvals:queue_export"), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    event = AuditEvent.objects.filter(action__startswith="export").latest("pk")
    assert event.ip == "198.51.100.7"


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[PROXY])
def test_the_per_address_login_limit_counts_each_forwarded_client_separately(client):
    """Thirty failures from one client behind the proxy do not use up another client's limit."""
    for _ in range(LOGIN_FAILURES.limit):
        client.post(reverse("login"), {"username": "nobody", "password": "x"},
                    REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    blocked = client.post(reverse("login"), {"username": "nobody", "password": "x"},
                          REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert blocked.status_code == 429
    other = client.post(reverse("login"), {"username": "nobody", "password": "x"},
                        REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert other.status_code == 200
