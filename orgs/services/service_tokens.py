"""Service tokens: created by an administrator for an organisation in their subtree, shown once, stored as a
digest, expiring and revocable; creation, revocation and refused use are audited."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.errors import DomainError, OutOfScope
from orgs.models import Org, ServiceToken
from orgs.selectors.scope import orgs_managed_by
from orgs.services.audit import audit_record

PREFIX = "kxs_"


def secret_digest(secret: str) -> str:
    # The secret is 256 random bits: a fast digest cannot be brute-forced, and lookups stay one indexed query.
    return hashlib.sha256(secret.encode()).hexdigest()


def service_token_create(
    *, actor, org: Org, name: str, scopes: list[str], expires_at: datetime
) -> tuple[ServiceToken, str]:
    """Returns the token and its secret; the secret is not stored and cannot be shown again."""
    scopes = sorted(set(scopes))
    if not name.strip():
        raise DomainError(_("请填写令牌名称"))
    if not scopes or set(scopes) - set(ServiceToken.Scope.values):
        raise DomainError(_("请至少选择一项有效的权限范围"))
    if expires_at <= timezone.now():
        raise DomainError(_("到期时间必须晚于现在"))
    if expires_at > timezone.now() + timedelta(days=366):
        raise DomainError(_("服务令牌有效期最长一年"))
    with transaction.atomic():
        if not orgs_managed_by(actor).filter(pk=org.pk).exists():
            raise OutOfScope()
        secret = PREFIX + secrets.token_urlsafe(32)
        token = ServiceToken.objects.create(
            org=org,
            name=name.strip(),
            scopes=scopes,
            prefix=secret[: len(PREFIX) + 6],
            secret_hash=secret_digest(secret),
            created_by=actor,
            expires_at=expires_at,
        )
        audit_record(
            actor=actor,
            action="service_token.create",
            obj=token,
            org=org,
            comment=token.name,
            data={"scopes": scopes, "expires_at": expires_at.isoformat()},
        )
    return token, secret


def service_token_revoke(*, actor, token: ServiceToken) -> ServiceToken:
    with transaction.atomic():
        token = ServiceToken.objects.select_for_update().get(pk=token.pk)
        if not orgs_managed_by(actor).filter(pk=token.org_id).exists():
            raise OutOfScope()
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="service_token.revoke", obj=token, org=token.org, comment=token.name)
    return token


def service_token_authenticate(secret: str) -> ServiceToken | None:
    """The live token for this secret, or None (unknown, expired, revoked). Marks it used at most once a minute."""
    token = (
        ServiceToken.objects.select_related("org", "created_by")
        .filter(secret_hash=secret_digest(secret), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.created_by.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
