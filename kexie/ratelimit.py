"""Rate limits per client address (kexie.client_address) or per other key, kept in Django's cache.

The cache is Redis in production, so all web processes share the counts.
"""

import hashlib
from functools import wraps

from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from kexie.client_address import client_address


def per_client_address(request, view_kwargs) -> str:
    return client_address(request) or "unknown"


def per_account(request, view_kwargs) -> str:
    """The signed-in account on this client address: one account's guesses add up, and a shared office
    address does not lock colleagues out."""
    return f"{getattr(request.user, 'pk', None)}:{per_client_address(request, view_kwargs)}"


def per_token(request, view_kwargs) -> str:
    # Hashed: the cache key is no place for the token itself.
    return hashlib.sha256(str(view_kwargs.get("token", "")).encode()).hexdigest()[:32]


DEFAULT_REASON = _("您的网络地址在短时间内提交次数过多。为防止恶意注册和密码猜测，")


class RateLimit:
    """At most `limit` hits per `window` seconds for one scope and subject (a fixed window).

    The subject of a request is given by `per` (default: the client address); the login challenge counts
    usernames through count_for/hit_for.
    """

    def __init__(self, scope: str, limit: int, window: int, *, per=per_client_address, reason=DEFAULT_REASON):
        self.scope, self.limit, self.window, self.per, self.reason = scope, limit, window, per, reason

    def _key(self, subject: str) -> str:
        return f"ratelimit:{self.scope}:{subject}"

    def count_for(self, subject: str) -> int:
        return cache.get(self._key(subject)) or 0

    def hit_for(self, subject: str) -> int:
        key = self._key(subject)
        # add() sets the expiry only when the window starts; incr() then keeps it.
        if cache.add(key, 1, self.window):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, self.window)
            return 1

    def _subject(self, request, view_kwargs=None) -> str:
        return self.per(request, view_kwargs or {})

    def exceeded(self, request, view_kwargs=None) -> bool:
        return self.count_for(self._subject(request, view_kwargs)) >= self.limit

    def hit(self, request, view_kwargs=None) -> int:
        return self.hit_for(self._subject(request, view_kwargs))

    def too_many(self, request):
        minutes = max(1, self.window // 60)
        return render(request, "429.html", {"minutes": minutes, "reason": self.reason}, status=429)


def _always(*args) -> bool:
    return True


def limit_posts(rate: RateLimit, *, count=_always, applies=_always):
    """Refuse POSTs with HTTP 429 once `rate` is used up.

    `applies(request)` picks the POSTs the limit is about (default: all); `count(request, response)` decides
    which of those use it up (default: all; `login_failed` / `refused`: only refusals).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != "POST" or not applies(request):
                return view(request, *args, **kwargs)
            if rate.exceeded(request, kwargs):
                return rate.too_many(request)
            response = view(request, *args, **kwargs)
            if count(request, response):
                rate.hit(request, kwargs)
            return response

        return wrapper

    return decorator


def refused(request, response) -> bool:
    """A refused form re-renders (200, or 400 where the page says so); success redirects."""
    return response.status_code in (200, 400)


def registered(request, response) -> bool:
    # A registration that created an account redirects; a refused one re-renders the form.
    return response.status_code == 302


def login_failed(request, response) -> bool:
    # A successful login redirects; a failed one re-renders the form with 200.
    return response.status_code == 200


# Registration: accounts created from one address. Each needs an SMS code to a distinct number (those sends
# have their own limits, members/services/verification.py), so this only caps bulk creation; it lets a whole
# work unit behind one office connection (200 people in an hour during a campaign) register.
REGISTRATION = RateLimit("register", limit=300, window=60 * 60)
# Login: only failed attempts count, across usernames (django-axes already limits per username and address).
LOGIN_FAILURES = RateLimit("login-failed", limit=30, window=60 * 60)
# Pages that check the signed-in user's password again (password change, account deletion): failed checks of
# one account, as the login page limits failed logins.
PASSWORD_CHECK_FAILURES = RateLimit(
    "password-check-failed", limit=5, window=30 * 60, per=per_account, reason=_("密码连续输入错误次数过多。为防止密码猜测，")
)
# Re-registration checks the ID number against the invited person's: at most this many attempts per client
# address, so ID numbers cannot be tried in bulk (the profile page has its own limits, members/views/people.py).
ID_NUMBER_CHECKS = RateLimit(
    "id-number-check", limit=20, window=60 * 60, reason=_("您的网络地址在短时间内核对身份证号码的次数过多。为保护个人信息，")
)
# Entering an ID number on one's profile: every attempt counts, whatever its outcome, so that the limit itself
# tells nothing about whether a number is registered; a person mistyping their own number has room to correct it.
ID_NUMBER_PER_ACCOUNT = RateLimit("id-number-account", limit=5, window=60 * 60)
ID_NUMBER_PER_ADDRESS = RateLimit("id-number-address", limit=30, window=60 * 60)
# Wrong answers on one re-registration link: after these the link rests for the window, from any address.
REREGISTRATION_FAILURES = RateLimit(
    "rereg-failed", limit=5, window=60 * 60, per=per_token, reason=_("该登记链接的身份核对失败次数过多。为保护您的信息，")
)
# Census lists are checked against every stored ID number: uploads per administrator account.
CENSUS_UPLOADS = RateLimit(
    "census-upload", limit=20, window=60 * 60, per=per_account, reason=_("短时间内上传的名单过多。为保护个人信息，")
)
