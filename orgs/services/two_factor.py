"""Two-factor sign-in for administrators and staff: a TOTP authenticator app (django-otp) and recovery codes.

Every administrator and staff account must enrol (settings.TWO_FACTOR_REQUIRED; orgs.middleware enforces
it): the authenticator is added by scanning a QR code and confirmed with its first code, and ten single-use
recovery codes are shown once. Only digests of the recovery codes are stored (django-otp's StaticDevice holds
them; it throttles wrong entries and deletes a code when it is used). A browser may be remembered for at most
TWO_FACTOR_REMEMBER_MAX (12 hours) by a signed cookie bound to the account, its password and its
authenticator, so a reset or a new password forgets every remembered browser.

A lost authenticator is reset by an administrator of the organisation above (orgs.services.accounts), audited.
"""

from base64 import b32encode
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kexie.errors import DomainError
from orgs.services.audit import audit_record

RECOVERY_CODE_COUNT = 10
TWO_FACTOR_REMEMBER_MAX = timedelta(hours=12)
_REMEMBER_SALT = "kexie.two_factor.remember"


def _recovery_digest(code: str) -> str:
    normalised = "".join(code.split()).replace("-", "").lower()
    # StaticToken.token holds 16 characters: 64 bits of an HMAC is ample for 40-bit random codes.
    return salted_hmac("kexie.recovery_code", normalised, algorithm="sha256").hexdigest()[:16]


def two_factor_device(user) -> TOTPDevice | None:
    """The account's confirmed authenticator, if it has enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def two_factor_enrolment_start(*, user) -> TOTPDevice:
    """The unconfirmed authenticator the QR code shows; the same one until it is confirmed."""
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise DomainError(_("已启用双因素认证"))
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=_("身份验证器"), confirmed=False)
    return device


def totp_secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _recovery_codes_replace(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=_("恢复码"), confirmed=True)
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = StaticToken.random_token()
        codes.append(f"{raw[:4]}-{raw[4:]}")
        StaticToken.objects.create(device=device, token=_recovery_digest(raw))
    return codes


def two_factor_enrolment_confirm(*, user, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator with its current code; returns it and the new recovery codes (shown once)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise DomainError(_("请重新扫描二维码"))
        if not device.verify_token((token or "").strip()):
            verified = False
        else:
            verified = True
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _recovery_codes_replace(user)
            audit_record(actor=user, action="two_factor.enrol", obj=user)
    # Outside the transaction: the throttling counter of a wrong code must stay saved.
    if not verified:
        raise DomainError(_("验证码不正确，请输入身份验证器上当前显示的 6 位数字"))
    return device, codes


def two_factor_verify(*, user, token: str):
    """The device that accepts `token` (the authenticator's code or an unused recovery code), or None.

    django-otp throttles each device after wrong codes (doubling waits), so guessing is slow."""
    token = "".join((token or "").split())
    device = two_factor_device(user)
    if device is not None and token.isdigit() and len(token) == 6:
        return verify_token(user, device.persistent_id, token)
    static = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if static is None or not token:
        return None
    with transaction.atomic():
        verified = verify_token(user, static.persistent_id, _recovery_digest(token))
        if verified is not None:
            audit_record(
                actor=user, action="two_factor.recovery_code_used", obj=user, data={"left": recovery_codes_left(user)}
            )
    return verified


def recovery_codes_regenerate(*, user, token: str) -> list[str]:
    """New recovery codes (the old ones stop working), after the authenticator's current code."""
    device = two_factor_device(user)
    if device is None:
        raise DomainError(_("尚未启用双因素认证"))
    token = (token or "").strip()
    if not (token.isdigit() and len(token) == 6) or verify_token(user, device.persistent_id, token) is None:
        raise DomainError(_("验证码不正确，请输入身份验证器上当前显示的 6 位数字"))
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        audit_record(actor=user, action="two_factor.recovery_codes_regenerate", obj=user)
    return codes


def two_factor_devices_remove(*, account) -> int:
    """Delete every authenticator and recovery code of `account` (the caller checks scope and audits)."""
    removed, _ = TOTPDevice.objects.filter(user=account).delete()
    StaticDevice.objects.filter(user=account).delete()
    return removed


# --- remembered browsers ------------------------------------------------------------------------------------


def remember_duration() -> timedelta:
    return min(settings.TWO_FACTOR_REMEMBER, TWO_FACTOR_REMEMBER_MAX)


def _remember_fingerprint(user, device: TOTPDevice) -> str:
    # Changes when the password or the authenticator changes: a reset or a new password forgets the browser.
    return salted_hmac(_REMEMBER_SALT, f"{device.pk}:{device.key}:{user.password}", algorithm="sha256").hexdigest()


def remember_token_issue(*, user, device: TOTPDevice) -> str:
    return signing.dumps({"u": user.pk, "f": _remember_fingerprint(user, device)}, salt=_REMEMBER_SALT)


def remembered_device(*, user, token: str) -> TOTPDevice | None:
    """The authenticator a remember-this-browser cookie stands for, while it is valid; else None."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=_REMEMBER_SALT, max_age=remember_duration())
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk:
        return None
    device = two_factor_device(user)
    if device is None or not constant_time_compare(str(data.get("f", "")), _remember_fingerprint(user, device)):
        return None
    return device
