"""One-time codes that prove a person holds a mobile number or an email address.

Registration, password recovery and changing one's mobile each need a 6-digit code sent to the number. Codes
are stored as an HMAC only, live VERIFICATION_CODE_LIFETIME, allow VERIFICATION_CODE_MAX_ATTEMPTS wrong
entries, and a new one for the same address and purpose is sent at most every VERIFICATION_CODE_RESEND_SECONDS.

The send limits are sized for a campaign: a whole work unit behind one office address (hundreds of people in
an hour, each with their own number) gets through, while one number cannot be flooded and one address cannot
send without bound. They count the code rows in the database, so they hold when the cache (Redis) is down.
Wrong entries are also counted per client address in the cache, which stops guessing across many numbers.

The registration API calls `sms_code_send` / `sms_code_verify` (or `registration_code_send`) like the pages do.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from kexie.errors import DomainError
from kexie.locks import transaction_lock
from kexie.ratelimit import RateLimit
from kexie.request_context import current_client_ip
from kexie.sms import SmsError, SmsMessage, sms_send
from members.models import VerificationCode

# Arbitrary constant naming "verification codes of one address" among PostgreSQL advisory locks.
CODE_SEND_LOCK_CLASS = 7_311

Channel = VerificationCode.Channel
Purpose = VerificationCode.Purpose


class CodeRefused(DomainError):
    """A code was not sent, or an entered code was not accepted; the message says why and what to do."""

    code = "sms_code_refused"


def _digest(*, channel: str, address: str, purpose: str, code: str) -> str:
    # Bound to the address and purpose: a code sent for one number or purpose proves nothing for another.
    return salted_hmac("kexie.verification_code", f"{channel}:{address}:{purpose}:{code}", algorithm="sha256").hexdigest()


def _failures() -> RateLimit:
    return RateLimit("verification-failed", limit=settings.VERIFICATION_FAILURES_PER_IP_HOUR, window=60 * 60)


def _send_limits_check(*, channel: str, address: str, purpose: str, client_ip: str | None, now) -> None:
    codes = VerificationCode.objects.filter(channel=channel)
    latest = codes.filter(address=address, purpose=purpose).order_by("-created_at").first()
    wait = settings.VERIFICATION_CODE_RESEND_SECONDS
    if latest is not None and (now - latest.created_at).total_seconds() < wait:
        seconds = wait - int((now - latest.created_at).total_seconds())
        raise CodeRefused(_("验证码已发送，请 %(seconds)s 秒后再重新获取") % {"seconds": seconds})
    per_address = settings.VERIFICATION_CODES_PER_ADDRESS
    sent_to_address = codes.filter(address=address)
    if sent_to_address.filter(created_at__gte=now - timedelta(hours=1)).count() >= per_address["hour"]:
        raise CodeRefused(_("该号码获取验证码过于频繁，请 1 小时后再试"))
    if sent_to_address.filter(created_at__gte=now - timedelta(days=1)).count() >= per_address["day"]:
        raise CodeRefused(_("该号码今天获取验证码的次数已达上限，请明天再试"))
    if client_ip:
        per_ip = settings.VERIFICATION_CODES_PER_IP
        from_ip = VerificationCode.objects.filter(client_ip=client_ip)
        if (
            from_ip.filter(created_at__gte=now - timedelta(hours=1)).count() >= per_ip["hour"]
            or from_ip.filter(created_at__gte=now - timedelta(days=1)).count() >= per_ip["day"]
        ):
            raise CodeRefused(_("当前网络获取验证码过于频繁，请稍后再试"))


def _message_text(*, purpose: str, code: str, minutes: int) -> str:
    return _("您正在%(purpose)s，验证码 %(code)s，%(minutes)s 分钟内有效。如非本人操作，请忽略本消息，切勿将验证码告诉他人。") % {
        "purpose": Purpose(purpose).label,
        "code": code,
        "minutes": minutes,
    }


def _code_send(*, channel: str, address: str, purpose: str, client_ip: str | None, deliver, silent: bool) -> VerificationCode:
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    client_ip = client_ip if client_ip is not None else current_client_ip()
    code = f"{secrets.randbelow(10**6):06d}"
    lifetime = settings.VERIFICATION_CODE_LIFETIME
    with transaction.atomic():
        # Simultaneous requests for one address would all pass the resend check: they queue here.
        transaction_lock(CODE_SEND_LOCK_CLASS, address)
        now = timezone.now()
        _send_limits_check(channel=channel, address=address, purpose=purpose, client_ip=client_ip, now=now)
        row = VerificationCode.objects.create(
            channel=channel,
            address=address,
            purpose=purpose,
            code_hash=_digest(channel=channel, address=address, purpose=purpose, code=code),
            client_ip=client_ip,
            created_at=now,
            expires_at=now + lifetime,
        )
        if silent:
            return row
        # Inside the transaction: a code the provider refused is rolled back and costs the person no wait.
        try:
            deliver(code=code, minutes=int(lifetime.total_seconds() // 60))
        except (SmsError, OSError):
            raise CodeRefused(_("验证码发送失败，请稍后重试"))
    return row


def sms_code_send(*, mobile: str, purpose: str, client_ip: str | None = None, silent: bool = False) -> VerificationCode:
    """Send a fresh code to a normalised mobile number, within the limits; raises CodeRefused otherwise.

    `client_ip` defaults to the current request's client address (kexie.client_address). `silent` records
    the code and counts it against the limits but sends nothing: for a number without an account, where the
    answer (and the limits' answers after it) must be the same as for one with an account."""

    def deliver(*, code: str, minutes: int) -> None:
        sms_send(
            SmsMessage(
                mobile=mobile,
                template=purpose,
                params=[code, str(minutes)],
                text=_message_text(purpose=purpose, code=code, minutes=minutes),
            )
        )

    return _code_send(
        channel=Channel.SMS, address=mobile, purpose=purpose, client_ip=client_ip, deliver=deliver, silent=silent
    )


def email_code_send(*, email: str, purpose: str, client_ip: str | None = None, silent: bool = False) -> VerificationCode:
    """Send a fresh code to an email address, within the same limits as SMS codes (counted per address in
    lower case; the mail goes to the address as given)."""
    email = email.strip()

    def deliver(*, code: str, minutes: int) -> None:
        send_mail(
            _("科协会员系统验证码"),
            _message_text(purpose=purpose, code=code, minutes=minutes),
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )

    return _code_send(
        channel=Channel.EMAIL, address=email.lower(), purpose=purpose, client_ip=client_ip, deliver=deliver, silent=silent
    )


def _code_verify(*, channel: str, address: str, purpose: str, code: str, client_ip: str | None) -> None:
    client_ip = client_ip if client_ip is not None else current_client_ip()
    failures = _failures()
    subject = client_ip or "unknown"
    if failures.count_for(subject) >= failures.limit:
        raise CodeRefused(_("验证码错误次数过多，请 1 小时后再试"))
    code = (code or "").strip()
    maximum = settings.VERIFICATION_CODE_MAX_ATTEMPTS
    # Decided inside the transaction, raised after it: a wrong entry must stay counted.
    with transaction.atomic():
        row = (
            VerificationCode.objects.select_for_update()
            .filter(channel=channel, address=address, purpose=purpose)
            .order_by("-created_at", "-pk")
            .first()
        )
        now = timezone.now()
        if row is None or row.used_at is not None or row.expires_at <= now or row.attempts >= maximum:
            outcome = "dead"
        elif constant_time_compare(row.code_hash, _digest(channel=channel, address=address, purpose=purpose, code=code)):
            VerificationCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
            outcome = "ok"
        else:
            VerificationCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            outcome = "wrong"
            left = maximum - row.attempts - 1
    if outcome == "ok":
        return
    failures.hit_for(subject)
    if outcome == "dead":
        raise CodeRefused(_("验证码已失效，请重新获取"))
    if left <= 0:
        raise CodeRefused(_("验证码不正确，错误次数已达上限，请重新获取"))
    raise CodeRefused(_("验证码不正确，还可以再试 %(left)s 次") % {"left": left})


def sms_code_verify(*, mobile: str, purpose: str, code: str, client_ip: str | None = None) -> None:
    """Spend the newest code sent to `mobile` for `purpose`; raises CodeRefused when it is wrong or dead."""
    _code_verify(channel=Channel.SMS, address=mobile, purpose=purpose, code=code, client_ip=client_ip)


def email_code_verify(*, email: str, purpose: str, code: str, client_ip: str | None = None) -> None:
    _code_verify(channel=Channel.EMAIL, address=email.strip().lower(), purpose=purpose, code=code, client_ip=client_ip)
