import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.utils import timezone
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


# The cookie that remembers a browser after a second factor (orgs.services.two_factor.remember_token_issue).
REMEMBER_COOKIE = "kexie_2fa"
# Pages a console user reaches before the second factor: the second factor itself and signing out.
TWO_FACTOR_OPEN = frozenset({"orgs:two_factor_verify", "orgs:two_factor_setup", "logout", "admin:logout"})


class TwoFactorMiddleware:
    """Administrators, staff and superusers use the console only after a second factor (TOTP).

    Without an authenticator they are sent to enrol; with one, to enter its code, unless this browser was
    remembered (at most 12 hours). settings.TWO_FACTOR_REQUIRED = False switches this off (the demo).
    Runs in process_view, after django_otp's OTPMiddleware has read the verified device from the session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.TWO_FACTOR_REQUIRED:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not is_console_user(request):
            return None
        if request.resolver_match is not None and request.resolver_match.view_name in TWO_FACTOR_OPEN:
            return None
        if user.is_verified():
            return None
        from django_otp import login as otp_login

        from orgs.services.two_factor import remembered_device, two_factor_device

        device = remembered_device(user=user, token=request.COOKIES.get(REMEMBER_COOKIE, ""))
        if device is not None:
            otp_login(request, device)
            return None
        target = "orgs:two_factor_verify" if two_factor_device(user) is not None else "orgs:two_factor_setup"
        return redirect_to_login(request.get_full_path(), target)


# Pages a console user whose password must change still reaches.
PASSWORD_CHANGE_OPEN = TWO_FACTOR_OPEN | {"password_change", "password_change_done", "orgs:two_factor"}


class PasswordExpiryMiddleware:
    """Administrators and staff change an initial password at the first sign-in and any password after
    PASSWORD_EXPIRY_DAYS (0: never); until then every console page leads to 修改密码."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not is_console_user(request):
            return None
        if request.resolver_match is not None and request.resolver_match.view_name in PASSWORD_CHANGE_OPEN:
            return None
        changed = user.password_changed_at
        if changed is None:
            messages.warning(request, _("请先修改管理员为您设置的初始密码。"))
        elif settings.PASSWORD_EXPIRY_DAYS and timezone.now() - changed > timedelta(days=settings.PASSWORD_EXPIRY_DAYS):
            messages.warning(
                request, _("您的密码已使用超过 %(days)s 天，请修改密码后继续。") % {"days": settings.PASSWORD_EXPIRY_DAYS}
            )
        else:
            return None
        return redirect("password_change")
