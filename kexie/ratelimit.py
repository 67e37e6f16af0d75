"""Rate limits per client address (kexie.client_address) or per key, kept in Django's cache.

The cache is Redis in production, so all web processes share the counts.
"""

from functools import wraps

from django.core.cache import cache
from django.shortcuts import render

from kexie.client_address import client_address


class RateLimit:
    """At most `limit` hits per `window` seconds for one scope and subject (a fixed window).

    The subject is the client address for the request methods; the login challenge counts usernames.
    """

    def __init__(self, scope: str, limit: int, window: int):
        self.scope, self.limit, self.window = scope, limit, window

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

    def _subject(self, request) -> str:
        return client_address(request) or "unknown"

    def exceeded(self, request) -> bool:
        return self.count_for(self._subject(request)) >= self.limit

    def hit(self, request) -> int:
        return self.hit_for(self._subject(request))

    def too_many(self, request):
        minutes = max(1, self.window // 60)
        return render(request, "429.html", {"minutes": minutes}, status=429)


def limit_posts(rate: RateLimit, *, count=lambda request, response: True):
    """Refuse POSTs with HTTP 429 once the client IP used up `rate`; `count` decides which POSTs use it up."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != "POST":
                return view(request, *args, **kwargs)
            if rate.exceeded(request):
                return rate.too_many(request)
            response = view(request, *args, **kwargs)
            if count(request, response):
                rate.hit(request)
            return response

        return wrapper

    return decorator


# Registration: accounts created from one address. Each needs an SMS code to a distinct number (those sends
# have their own limits, members/services/verification.py), so this only caps bulk creation; it lets a whole
# work unit behind one office connection (200 people in an hour during a campaign) register.
REGISTRATION = RateLimit("register", limit=300, window=60 * 60)
# Login: only failed attempts count, across usernames (django-axes already limits per username and IP).
LOGIN_FAILURES = RateLimit("login-failed", limit=30, window=60 * 60)


def registered(request, response) -> bool:
    # A registration that created an account redirects; a refused one re-renders the form.
    return response.status_code == 302


def login_failed(request, response) -> bool:
    # A successful login redirects; a failed one re-renders the form with 200.
    return response.status_code == 200
