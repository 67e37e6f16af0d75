"""The password policy (settings.AUTH_PASSWORD_VALIDATORS), with Chinese messages.

At least 8 and at most 128 characters, not blank, not only digits, at least two kinds of character (lower-case letters,
upper-case letters, digits, other symbols), not containing the account's mobile number, not too close to
the account's name or email, and not a common password. Every path that sets a password (registration,
re-registration, administrator and staff accounts, password change) calls
django.contrib.auth.password_validation.validate_password, so the policy holds everywhere.
"""

import re

from django.contrib.auth import password_validation as django_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Common Chinese choices (pinyin, dates, keyboard runs) that Django's English-language list may miss;
# compared lower-case.
COMMON_CHINESE_PASSWORDS = frozenset(
    {
        "woaini1314", "woaini520", "woaini521", "5201314520", "1314520520", "a5201314", "aa5201314",
        "qq123456", "qq5201314", "a1234567", "a12345678", "a123456789", "aa123456", "aa12345678",
        "abc12345", "abc123456", "abcd1234", "1qaz2wsx", "1q2w3e4r", "q1w2e3r4", "qwer1234", "qwe123456",
        "zxcvbnm1", "asdf1234", "password1", "p@ssw0rd", "passw0rd", "admin123", "admin1234", "admin888",
        "kexie123", "kexie1234", "kexie2026", "zhang123", "wang1234", "li123456", "iloveyou1",
    }
)


class MinimumLengthValidator(django_validation.MinimumLengthValidator):
    def __init__(self, min_length: int = 8):
        super().__init__(min_length)

    def get_error_message(self):
        return _("密码至少需要 %(min_length)d 个字符") % {"min_length": self.min_length}

    def get_help_text(self):
        return _("至少 %(min_length)d 个字符") % {"min_length": self.min_length}


class MaximumLengthValidator:
    """No one types a longer password; a megabyte one would only cost the hasher."""

    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                _("密码不能超过 %(max_length)d 个字符") % {"max_length": self.max_length}, code="password_too_long"
            )

    def get_help_text(self):
        return _("不超过 %(max_length)d 个字符") % {"max_length": self.max_length}


class NotBlankValidator:
    """A password of spaces only looks set and protects nothing."""

    def validate(self, password, user=None):
        if not password or not password.strip():
            raise ValidationError(_("密码不能为空，也不能只由空格组成"), code="password_blank")

    def get_help_text(self):
        return _("不能只由空格组成")


class NotOnlyDigitsValidator:
    def validate(self, password, user=None):
        if password.strip().isdigit():
            raise ValidationError(_("密码不能全部是数字"), code="password_entirely_numeric")

    def get_help_text(self):
        return _("不能全部是数字")


def _character_classes(password: str) -> set[str]:
    classes = set()
    for ch in password:
        if ch.isspace():
            continue
        if "a" <= ch <= "z":
            classes.add("lower")
        elif "A" <= ch <= "Z":
            classes.add("upper")
        elif "0" <= ch <= "9":
            classes.add("digit")
        else:
            classes.add("symbol")
    return classes


class CharacterClassesValidator:
    """Kinds: lower-case letters, upper-case letters, digits, symbols (everything else, Chinese characters
    included). Spaces count as no kind."""

    def __init__(self, min_classes: int = 2):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if len(_character_classes(password)) < self.min_classes:
            raise ValidationError(
                _("密码至少要包含小写字母、大写字母、数字、符号中的 %(n)d 类") % {"n": self.min_classes},
                code="password_too_few_classes",
            )

    def get_help_text(self):
        return _("至少包含小写字母、大写字母、数字、符号中的 %(n)d 类") % {"n": self.min_classes}


_DIGITS = re.compile(r"[0-9]{11}")


class NotMobileNumberValidator:
    """The mobile number is the applicants' login name and known to anyone they call."""

    def validate(self, password, user=None):
        if user is None:
            return
        numbers = {str(getattr(user, "mobile", "") or "")}
        username = str(getattr(user, "username", "") or "")
        if _DIGITS.fullmatch(username):
            numbers.add(username)
        plain = re.sub(r"[\s-]", "", password)
        if any(n and n in plain for n in numbers):
            raise ValidationError(_("密码不能包含本人的手机号码"), code="password_contains_mobile")

    def get_help_text(self):
        return _("不能包含本人的手机号码")


class UserAttributeSimilarityValidator(django_validation.UserAttributeSimilarityValidator):
    DEFAULT_USER_ATTRIBUTES = ("username", "full_name", "email", "mobile")

    def get_error_message(self):
        return _("密码与%(verbose_name)s过于相似")

    def get_help_text(self):
        return _("不能与用户名、姓名、电子邮箱或手机号码过于相似")


class CommonPasswordValidator(django_validation.CommonPasswordValidator):
    def validate(self, password, user=None):
        if password.lower().strip() in COMMON_CHINESE_PASSWORDS:
            raise ValidationError(self.get_error_message(), code="password_too_common")
        super().validate(password, user)

    def get_error_message(self):
        return _("这个密码过于常见，容易被猜中，请换一个")

    def get_help_text(self):
        return _("不能是常见密码")
