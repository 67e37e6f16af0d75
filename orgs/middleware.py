import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from orgs.roles import is_console_user

# The session key keeps its name: sessions of signed-in administrators carry it.
_LAST_SEEN = "kexie_last_seen"
LAST_SEEN_RESOLUTION = 60  # seconds


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
