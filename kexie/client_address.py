"""Who is on the other end of a request: the one place that decides the client address.

The socket peer (REMOTE_ADDR) is the client unless it is one of the reverse proxies listed in
settings.TRUSTED_PROXIES. Only then is X-Forwarded-For read, from the right: each address a trusted proxy
appended is skipped, and the first address that is not a trusted proxy is the client. Anything further left
was written by the client itself and is never believed, so a forged header from an untrusted peer, or a forged
prefix passed on by the proxy, changes nothing. The login lockout (django-axes, through
AXES_CLIENT_IP_CALLABLE), the project's rate limits and the audit trail all read this function.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def trusted_proxy_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _parse(value: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; keys and audit rows use the IPv4 form.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted_proxy(address: IPAddress | None) -> bool:
    return address is not None and any(address in network for network in trusted_proxy_networks())


def peer_is_trusted_proxy(request) -> bool:
    return is_trusted_proxy(_parse(request.META.get("REMOTE_ADDR", "")))


def client_address(request) -> str | None:
    """The client's IP address as a string, or None when the socket gave none."""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if not is_trusted_proxy(peer):
        return str(peer) if peer else None
    client = peer
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # A trusted proxy appends well-formed addresses only: garbage came from further left.
            break
        client = address
        if not is_trusted_proxy(address):
            break
    return str(client)
