"""Rate limits per token and per user (anonymous callers per client IP), in Django's cache (Redis in
production, so all web processes share them). Rates are the REST_FRAMEWORK DEFAULT_THROTTLE_RATES."""

from rest_framework.throttling import SimpleRateThrottle

from kexie.client_address import client_address as client_ip_from


class UserRateThrottle(SimpleRateThrottle):
    """Every call of one account (session, any of its bearer tokens); anonymous calls per client IP."""

    scope = "user"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            self.scope = "anon"
            self.rate = self.get_rate()
            self.num_requests, self.duration = self.parse_rate(self.rate)
            ident = f"ip:{client_ip_from(request) or 'unknown'}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TokenRateThrottle(SimpleRateThrottle):
    """Every call made with one token (a bearer login or a service token); session calls are not counted here."""

    scope = "token"

    def get_cache_key(self, request, view):
        key = getattr(request.auth, "rate_key", None)
        if not key:
            return None
        return self.cache_format % {"scope": self.scope, "ident": key}
