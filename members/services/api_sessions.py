"""Sign-ins of the mini-program: bearer access tokens (short-lived) and refresh tokens (rotated on use).
Only SHA-256 digests are stored; a token is shown once, in the response that issues it."""

import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kexie.errors import DomainError
from members.models import ApiSession
from orgs.services.audit import audit_record

ACCESS_PREFIX = "kxa_"
REFRESH_PREFIX = "kxr_"


class TokenRefused(DomainError):
    default_message = gettext_lazy("登录已失效，请重新登录")
    code = "authentication_failed"
    http_status = 401


def _digest(secret: str) -> str:
    # 256 random bits per token: a fast digest is safe and keeps the lookup one indexed query.
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_pair(session: ApiSession) -> dict:
    now = timezone.now()
    access = ACCESS_PREFIX + secrets.token_urlsafe(32)
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    session.access_hash = _digest(access)
    session.access_expires_at = now + settings.API_ACCESS_TOKEN_LIFETIME
    session.refresh_hash = _digest(refresh)
    session.refresh_expires_at = now + settings.API_REFRESH_TOKEN_LIFETIME
    return {
        "access_token": access,
        "access_expires_at": session.access_expires_at,
        "refresh_token": refresh,
        "refresh_expires_at": session.refresh_expires_at,
    }


def api_session_open(*, user) -> tuple[ApiSession, dict]:
    """Issue a token pair to a user whose credentials the caller has already checked."""
    with transaction.atomic():
        session = ApiSession(user=user)
        tokens = _new_pair(session)
        session.save()
        audit_record(actor=user, action="api_session.open", obj=session)
    return session, tokens


def api_session_refresh(*, refresh_token: str) -> tuple[ApiSession, dict]:
    """Replace both tokens of the sign-in the refresh token belongs to; the old ones stop working."""
    with transaction.atomic():
        session = (
            ApiSession.objects.select_for_update()
            .select_related("user")
            .filter(
                refresh_hash=_digest(refresh_token),
                revoked_at__isnull=True,
                refresh_expires_at__gt=timezone.now(),
            )
            .first()
        )
        if session is None or not session.user.is_active:
            raise TokenRefused()
        tokens = _new_pair(session)
        session.save(update_fields=["access_hash", "access_expires_at", "refresh_hash", "refresh_expires_at"])
    return session, tokens


def api_session_revoke(*, session: ApiSession) -> None:
    with transaction.atomic():
        updated = ApiSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if updated:
            audit_record(actor=session.user, action="api_session.revoke", obj=session)


def api_session_authenticate(access_token: str) -> ApiSession | None:
    return (
        ApiSession.objects.select_related("user")
        .filter(access_hash=_digest(access_token), revoked_at__isnull=True, access_expires_at__gt=timezone.now())
        .first()
    )
