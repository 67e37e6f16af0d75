import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from kexie.roles import is_console_user
from kexie.client_address import client_address, peer_is_trusted_proxy
from kexie.request_context import reset_client_ip, set_client_ip

_LAST_SEEN = "kexie_last_seen"
LAST_SEEN_RESOLUTION = 60  # seconds


class ProxyHeadersMiddleware:
    """Forwarded headers count only when the socket peer is a trusted proxy (settings.TRUSTED_PROXIES).

    First in the stack: SecurityMiddleware's HTTPS redirect, secure cookies and HSTS read X-Forwarded-Proto
    through SECURE_PROXY_SSL_HEADER, which would otherwise believe any client that sends it.
    """

    FORWARDED = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not peer_is_trusted_proxy(request):
            for name in self.FORWARDED:
                request.META.pop(name, None)
        return self.get_response(request)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_client_ip(client_address(request))
        try:
            return self.get_response(request)
        finally:
            reset_client_ip(token)


class AdminIdleTimeoutMiddleware:
    """Administrators and staff are signed out after ADMIN_IDLE_TIMEOUT without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and is_console_user(request):
            now = time.time()
            last = request.session.get(_LAST_SEEN)
            if last is not None and now - last > settings.ADMIN_IDLE_TIMEOUT.total_seconds():
                logout(request)
                messages.info(request, _("您已超过 30 分钟未操作，为保护数据安全请重新登录。"))
                return redirect(settings.LOGIN_URL)
            # Refreshed at most once a minute: writing the session on every console request would turn
            # each page view into a database write, for a 30-minute timeout that minutes do not affect.
            if last is None or now - last >= LAST_SEEN_RESOLUTION:
                request.session[_LAST_SEEN] = now
        return self.get_response(request)
