"""A forgotten password: a code to the account's mobile (or its verified email), then a new password.

The answers never tell whether a number or address has an account: for one without, a code row is recorded
(it counts against the limits, so their answers match too) and nothing is sent; entering any code for it then
fails like a dead code.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils.translation import gettext as _

from kexie.errors import DomainError
from kexie.validators import validate_mobile
from members.services.notices import notice_create
from members.services.verification import (
    Channel,
    Purpose,
    email_code_send,
    email_code_verify,
    sms_code_send,
    sms_code_verify,
)
from orgs.services.audit import audit_record


def _channel_and_address(account: str) -> tuple[str, str]:
    account = (account or "").strip()
    if "@" in account:
        return Channel.EMAIL, account.lower()
    return Channel.SMS, validate_mobile(account)


def _account_holder(channel: str, address: str):
    User = get_user_model()
    users = User.objects.filter(is_active=True)
    if channel == Channel.EMAIL:
        return users.filter(email__iexact=address, email_verified_at__isnull=False).order_by("pk").first()
    return users.filter(mobile=address).first()


def password_reset_code_send(*, account: str, client_ip: str | None = None) -> str:
    """Send a recovery code to `account` (a mobile number or a verified email address) if it has an account.

    Returns the channel used ("sms" or "email"); raises ValidationError for a malformed number and
    CodeRefused when a limit is reached."""
    channel, address = _channel_and_address(account)
    holder = _account_holder(channel, address)
    silent = holder is None
    if channel == Channel.EMAIL:
        email = address if silent else holder.email
        email_code_send(email=email, purpose=Purpose.PASSWORD_RESET, client_ip=client_ip, silent=silent)
    else:
        sms_code_send(mobile=address, purpose=Purpose.PASSWORD_RESET, client_ip=client_ip, silent=silent)
    return channel


def user_password_reset(*, account: str, code: str, new_password: str, client_ip: str | None = None):
    """Set a new password for the holder of `account` once the code sent there is entered.

    The new password meets AUTH_PASSWORD_VALIDATORS. Every signed-in session of the account ends (the session
    hash follows the password), failed-login lockouts of the username are cleared, the person is notified and
    the change is audited."""
    User = get_user_model()
    channel, address = _channel_and_address(account)
    holder = _account_holder(channel, address)
    validate_password(new_password, user=holder or User(username=address))
    if channel == Channel.EMAIL:
        email_code_verify(email=address, purpose=Purpose.PASSWORD_RESET, code=code, client_ip=client_ip)
    else:
        sms_code_verify(mobile=address, purpose=Purpose.PASSWORD_RESET, code=code, client_ip=client_ip)
    if holder is None:
        # A silent code was never sent; only a lucky guess gets here, and it changes nothing.
        raise DomainError(_("验证码已失效，请重新获取"))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=holder.pk)
        user.set_password(new_password)
        user.save()
        audit_record(actor=user, action="user.password_reset", obj=user, data={"channel": channel})
        notice_create(
            user=user,
            title=_("您的登录密码已重置"),
            body=_("您的密码已通过验证码重置。如果这不是您本人的操作，请立即联系所在组织的管理员。"),
        )
    from axes.utils import reset as axes_reset

    # The code proved the person holds the account: lockouts left by earlier guesses no longer protect it.
    axes_reset(username=user.username)
    return user
