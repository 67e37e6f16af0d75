"""Writes on people: registering an account and saving one's profile (the only place an ID number is
validated, encrypted, blind-indexed and masked)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kexie.errors import DomainError
from members.crypto import encrypt_id_number, id_number_blind_index
from members.models import Person
from kexie.validators import (
    id_number_birth_date,
    id_number_gender,
    mask_id_number,
    validate_id_number,
    validate_mobile,
)
from members.services.verification import (
    Purpose,
    email_code_send,
    email_code_verify,
    sms_code_send,
    sms_code_verify,
)
from orgs.selectors.accounts import is_administrator
from orgs.services.audit import audit_record


PROFILE_FIELDS = (
    "name", "gender", "birth_date", "mobile", "email", "employer", "discipline",
    "education", "title", "is_rural_expert", "is_popsci_leader",
)


# The one answer for an ID number that cannot be saved because of who else holds it — another account, a census
# entry, a deleted account's archived profile — so that the answer never tells whether a number is registered.
ID_NUMBER_REFUSED = _lazy(
    "无法使用该身份证号码。请核对号码是否为本人的；如确认无误，请联系所申请组织的管理员核实身份。"
)


class _IdNumberHeld(Exception):
    def __init__(self, holder: Person):
        self.holder = holder


def person_profile_save(*, user, id_number: str | None = None, **fields) -> Person:
    """Create or update the signed-in user's profile. `id_number` (plain text) is validated, encrypted,
    blind-indexed and masked here and nowhere else. A number another person holds is refused with
    ID_NUMBER_REFUSED, and that person's account is told someone tried it."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    try:
        return _person_profile_save(user=user, id_number=id_number, fields=fields)
    except _IdNumberHeld as held:
        # Outside the refused save's transaction, so the notice and the audit row stay.
        _id_number_attempt_report(user=user, holder=held.holder)
        raise DomainError(ID_NUMBER_REFUSED)


def _id_number_attempt_report(*, user, holder: Person) -> None:
    from members.services.notices import notice_create

    with transaction.atomic():
        if holder.user_id is not None and holder.user_id != user.pk:
            notice_create(
                user=holder.user,
                title=_("有人尝试使用您的身份证号码"),
                body=_(
                    "%(time)s，另一个账号在填写个人资料时输入了您的身份证号码，系统未予保存。"
                    "如果这是您本人的其他账号，请注销不用的账号；如果不是，请联系您所在组织的管理员。"
                ) % {"time": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
                link=reverse("members:data"),
            )
        audit_record(actor=user, action="person.id_number_refused", obj=holder, data={"by_user": user.pk})


def _person_profile_save(*, user, id_number: str | None, fields: dict) -> Person:
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(user=user).first() or Person(user=user)
        for name, value in fields.items():
            setattr(person, name, value)
        if "education" in fields:
            person.education_unconfirmed = False  # saving the profile is the confirmation the page asked for
        if id_number:
            id_number = validate_id_number(id_number)
            index = id_number_blind_index(id_number)
            holder = Person.objects.filter(id_number_index=index).exclude(pk=person.pk).select_related("user").first()
            if holder is not None:
                raise _IdNumberHeld(holder)
            person.id_number_encrypted = encrypt_id_number(id_number)
            person.id_number_index = index
            person.id_number_masked = mask_id_number(id_number)
            person.birth_date = person.birth_date or id_number_birth_date(id_number)
            person.gender = person.gender or id_number_gender(id_number)
        created = person.pk is None
        person.save()
        audit_record(
            actor=user,
            action="person.create" if created else "person.update",
            obj=person,
            data={"fields": sorted(fields), "id_number_changed": bool(id_number)},
        )
    return person


class WrongPassword(DomainError):
    """The signed-in person's current password, asked again before a change to the account, was wrong."""


def registration_code_send(*, mobile: str, client_ip: str | None = None):
    """Send the registration code to a mobile number that has no account yet (the page and the API)."""
    User = get_user_model()
    mobile = validate_mobile(mobile)
    if User.objects.filter(username=mobile).exists() or User.objects.filter(mobile=mobile).exists():
        raise DomainError(_("该手机号码已注册，请直接登录；忘记密码可通过短信验证码找回"))
    return sms_code_send(mobile=mobile, purpose=Purpose.REGISTER, client_ip=client_ip)


def login_code_send(*, mobile: str, client_ip: str | None = None):
    """Send a sign-in code to an applicant's mobile. The answer is the same for every number: a number without
    an applicant account (or one of an administrator, who signs in with a password and two factors) gets a code
    recorded against the limits but not sent."""
    mobile = validate_mobile(mobile)
    silent = _login_code_user(mobile) is None
    return sms_code_send(mobile=mobile, purpose=Purpose.LOGIN, client_ip=client_ip, silent=silent)


def user_for_login_code(*, mobile: str, code: str, client_ip: str | None = None):
    """The applicant account a correct sign-in code proves; raises CodeRefused for a wrong or dead code and
    DomainError when the number has no applicant account."""
    mobile = validate_mobile(mobile)
    sms_code_verify(mobile=mobile, purpose=Purpose.LOGIN, code=code, client_ip=client_ip)
    user = _login_code_user(mobile)
    if user is None:
        raise DomainError(_("验证码不正确或已失效，请重新获取"))
    return user


def _login_code_user(mobile: str):
    """The active applicant account of a number; administrators and staff never sign in by SMS alone."""
    user = get_user_model().objects.filter(username=mobile, is_active=True).first()
    if user is None or user.is_staff or user.is_superuser or user.department or is_administrator(user):
        return None
    return user


def user_register(*, mobile: str, password: str, code: str, email: str = "", client_ip: str | None = None):
    """Create an applicant account; the normalised mobile number is the username and `code` proves the
    person holds it (members.services.verification)."""
    User = get_user_model()
    mobile = validate_mobile(mobile)
    user = User(username=mobile, mobile=mobile, email=(email or "").strip())
    validate_password(password, user=user)
    if User.objects.filter(username=mobile).exists() or User.objects.filter(mobile=mobile).exists():
        raise DomainError(_("该手机号码已注册，请直接登录"))
    # Spent before the account exists, in its own transaction: a wrong code must stay counted.
    sms_code_verify(mobile=mobile, purpose=Purpose.REGISTER, code=code, client_ip=client_ip)
    with transaction.atomic():
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Two registrations of the same number racing: the unique index decides, the loser is told.
            raise DomainError(_("该手机号码已注册，请直接登录"))
        audit_record(actor=user, action="user.register", obj=user, data={"mobile_verified": True})
    return user


def mobile_change_code_send(*, user, new_mobile: str, client_ip: str | None = None):
    """Send a code to the number the signed-in user wants to move their account to."""
    User = get_user_model()
    new_mobile = validate_mobile(new_mobile)
    if new_mobile == user.mobile:
        raise DomainError(_("新号码与当前绑定的号码相同"))
    if User.objects.filter(mobile=new_mobile).exists() or User.objects.filter(username=new_mobile).exists():
        raise DomainError(_("该手机号码已绑定其他账号"))
    return sms_code_send(mobile=new_mobile, purpose=Purpose.MOBILE_CHANGE, client_ip=client_ip)


def user_mobile_change(*, user, new_mobile: str, code: str, password: str, client_ip: str | None = None):
    """Move the account to a new mobile number: the current password and a code sent to the new number.

    An applicant signs in with their mobile, so the username moves with it; the profile's number follows."""
    User = get_user_model()
    new_mobile = validate_mobile(new_mobile)
    if not user.check_password(password):
        raise WrongPassword(_("当前密码不正确"))
    if User.objects.filter(mobile=new_mobile).exclude(pk=user.pk).exists() or (
        User.objects.filter(username=new_mobile).exclude(pk=user.pk).exists()
    ):
        raise DomainError(_("该手机号码已绑定其他账号"))
    sms_code_verify(mobile=new_mobile, purpose=Purpose.MOBILE_CHANGE, code=code, client_ip=client_ip)
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=user.pk)
        old_mobile = account.mobile
        fields = ["mobile"]
        account.mobile = new_mobile
        if old_mobile and account.username == old_mobile:
            account.username = new_mobile
            fields.append("username")
        try:
            with transaction.atomic():
                account.save(update_fields=fields)
        except IntegrityError:
            raise DomainError(_("该手机号码已绑定其他账号"))
        Person.objects.filter(user=account).update(mobile=new_mobile)
        audit_record(actor=account, action="user.mobile_change", obj=account, data={"username_changed": "username" in fields})
    user.mobile, user.username = account.mobile, account.username
    return account


def email_verify_code_send(*, user, client_ip: str | None = None):
    """Send a code to the account's email address, so that it can later recover the password."""
    if not user.email:
        raise DomainError(_("账号尚未填写电子邮箱"))
    if user.email_verified_at is not None:
        raise DomainError(_("该邮箱已验证"))
    return email_code_send(email=user.email, purpose=Purpose.EMAIL_VERIFY, client_ip=client_ip)


def user_email_verify(*, user, code: str, client_ip: str | None = None):
    email_code_verify(email=user.email, purpose=Purpose.EMAIL_VERIFY, code=code, client_ip=client_ip)
    User = get_user_model()
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, email=user.email).update(email_verified_at=timezone.now())
        if updated:
            audit_record(actor=user, action="user.email_verify", obj=user)
    user.refresh_from_db(fields=["email", "email_verified_at"])
    return user


# Fields an application needs; the profile page and the application pages list the missing ones.


REQUIRED_PROFILE_FIELDS = ("name", "id_number_index", "mobile", "employer", "education", "title")


def profile_missing_fields(person: Person) -> list[str]:
    return [str(Person._meta.get_field(f).verbose_name) for f in REQUIRED_PROFILE_FIELDS if not getattr(person, f)]
