"""Requests the system sends to an address an administrator typed (webhook endpoints), guarded against SSRF.

- Only https:// (plain http:// only to a loopback address, and only when the caller allows it: tests and
  development receivers on 127.0.0.1).
- The host name is resolved here and every address it resolves to must be public (not private, loopback,
  link-local, reserved or multicast) unless the caller allows private targets; the connection then goes to
  the address that was checked, with the name kept for the Host header, SNI and certificate check, so a
  name that resolves differently a moment later (DNS rebinding) cannot steer the request inward.
- Redirects are never followed, nothing is retried here (the caller's outbox retries), timeouts are short
  and only the first bytes of the answer are read.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.utils.translation import gettext as _

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
MAX_URL_LENGTH = 500


class OutboundError(Exception):
    """The request could not be made or got no answer; `message` is shown to the administrator."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


class OutboundRefused(OutboundError):
    """The address is not one the system may send to."""


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    body_excerpt: str


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def outbound_url_check(url: str, *, allow_http_loopback: bool = False, allow_private: bool = False) -> None:
    """Refuse a URL the system must never send to, from its text alone (names are resolved when sending)."""
    if len(url) > MAX_URL_LENGTH:
        raise OutboundRefused(_("地址过长（最多 %(n)d 个字符）") % {"n": MAX_URL_LENGTH})
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundRefused(_("地址格式不正确")) from None
    host = (parts.hostname or "").lower()
    if not host:
        raise OutboundRefused(_("地址格式不正确"))
    if parts.username or parts.password:
        raise OutboundRefused(_("地址中不能包含用户名或密码"))
    if parts.fragment:
        raise OutboundRefused(_("地址中不能包含 # 片段"))
    if parts.scheme == "http":
        if not (allow_http_loopback and _is_loopback_host(host)):
            raise OutboundRefused(_("只能使用 HTTPS 地址（https://）"))
    elif parts.scheme != "https":
        raise OutboundRefused(_("只能使用 HTTPS 地址（https://）"))
    if port == 0:
        raise OutboundRefused(_("地址格式不正确"))
    if allow_private:
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise OutboundRefused(_("不能使用本机或内部网络地址"))
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if not _public(address):
        raise OutboundRefused(_("不能使用本机或内部网络地址"))


def _resolve(host: str, port: int, *, allow_private: bool) -> str:
    """One address of `host` to connect to; every address it resolves to must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise OutboundError(_("无法解析域名 %(host)s") % {"host": host}) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise OutboundError(_("无法解析域名 %(host)s") % {"host": host})
    if not allow_private and not all(_public(a) for a in addresses):
        raise OutboundRefused(_("该域名解析到本机或内部网络地址，已拒绝发送"))
    return str(addresses[0])


def outbound_post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    allow_http_loopback: bool = False,
    allow_private: bool = False,
    excerpt_bytes: int = 2000,
) -> OutboundResponse:
    """POST `body` to `url` once. Any answer (including 4xx/5xx and 3xx, which is not followed) is returned;
    no answer raises OutboundError."""
    outbound_url_check(url, allow_http_loopback=allow_http_loopback, allow_private=allow_private)
    parts = urlsplit(url)
    host = parts.hostname.lower()
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    address = _resolve(host, port, allow_private=allow_private)
    default_port = port == (443 if secure else 80)
    host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    if secure:
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, cert_reqs="CERT_REQUIRED",
            server_hostname=host, assert_hostname=host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    try:
        response = pool.urlopen(
            "POST", path, body=body, headers={**headers, "Host": host_header}, redirect=False,
            retries=False, preload_content=False,
        )
        try:
            raw = response.read(excerpt_bytes)
        finally:
            response.release_conn()
    except urllib3.exceptions.NewConnectionError:
        # Checked first: urllib3 derives it from its connect-timeout class.
        raise OutboundError(_("无法连接到该地址")) from None
    except urllib3.exceptions.TimeoutError:
        raise OutboundError(_("连接或等待响应超时")) from None
    except urllib3.exceptions.SSLError:
        raise OutboundError(_("TLS 连接失败（证书无效或与域名不符）")) from None
    except urllib3.exceptions.HTTPError:
        raise OutboundError(_("无法连接到该地址")) from None
    finally:
        pool.close()
    return OutboundResponse(status=response.status, body_excerpt=raw.decode("utf-8", errors="replace"))
