"""The per-username ceiling on failed logins across all addresses, and the extra check beyond it.

django-axes locks a username only together with the client address it failed from, so failures from
elsewhere never lock the owner out. What stops a guesser spread over many addresses is this ceiling: once a
username has failed LOGIN_CHALLENGE_AFTER times within LOGIN_CHALLENGE_WINDOW, from any addresses, every
further attempt for it must carry a solved proof-of-work challenge (ALTCHA, SHA-256): the browser searches for
the number behind a signed hash before the password is even checked. The search doubles every
LOGIN_CHALLENGE_DOUBLING further failures up to LOGIN_CHALLENGE_MAX_WORK, so each guess costs the attacker
more while the owner's browser spends a few seconds and then signs in: the ceiling slows, it never locks out.

A challenge is bound to the username it was issued for, expires after CHALLENGE_LIFETIME and is accepted once.
"""

import base64
import binascii
import hashlib
import json
from datetime import timedelta

import altcha
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from kexie.ratelimit import RateLimit

# The form field that carries the solved challenge (base64 JSON, ALTCHA's payload format).
FIELD = "login_check"
CHALLENGE_LIFETIME = timedelta(minutes=10)


def _failures() -> RateLimit:
    return RateLimit("login-user-failed", limit=settings.LOGIN_CHALLENGE_AFTER, window=settings.LOGIN_CHALLENGE_WINDOW)


def _subject(username: str) -> str:
    # Hashed: cache keys stay short and safe, and the cache never holds usernames. Case variants count together.
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]


def _hmac_key() -> str:
    return salted_hmac("kexie.login_challenge", "signing key").hexdigest()


def login_failure_record(*, username: str) -> int:
    """Count one failed password for `username` from any address; returns the count in this window."""
    return _failures().hit_for(_subject(username))


def login_challenge_required(*, username: str) -> bool:
    return _failures().count_for(_subject(username)) >= settings.LOGIN_CHALLENGE_AFTER


def login_challenge_work(*, username: str) -> int:
    """The largest number the browser may have to try for the next attempt."""
    beyond = max(0, _failures().count_for(_subject(username)) - settings.LOGIN_CHALLENGE_AFTER)
    work = settings.LOGIN_CHALLENGE_BASE_WORK * 2 ** (beyond // settings.LOGIN_CHALLENGE_DOUBLING)
    return min(work, settings.LOGIN_CHALLENGE_MAX_WORK)


def login_challenge_issue(*, username: str) -> dict:
    """A fresh signed challenge for the next attempt on `username`, in the shape the browser script reads."""
    challenge = altcha.create_challenge_v1(
        altcha.ChallengeOptionsV1(
            algorithm="SHA-256",
            max_number=login_challenge_work(username=username),
            hmac_key=_hmac_key(),
            expires=timezone.now() + CHALLENGE_LIFETIME,
            params={"u": _subject(username)},
        )
    )
    return challenge.to_dict()


def login_challenge_passed(*, username: str, payload: str) -> bool:
    """True once for a solved, unexpired challenge that was issued for this username."""
    if not payload:
        return False
    try:
        data = json.loads(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    if not isinstance(data, dict):
        return False
    try:
        verified, _error = altcha.verify_solution_v1(data, _hmac_key(), check_expires=True)
    except (TypeError, ValueError, AttributeError):
        return False
    if not verified:
        return False
    bound_to = altcha.extract_params_v1(data).get("u", [""])[0]
    if not constant_time_compare(bound_to, _subject(username)):
        return False
    # Single use: a solved challenge replayed for a second guess is refused.
    return cache.add(f"login-challenge:used:{data['challenge']}", 1, int(CHALLENGE_LIFETIME.total_seconds()) + 60)
