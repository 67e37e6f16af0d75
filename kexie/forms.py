"""Form pieces shared by every app: bounded ids from request data, what a refused form tells the user about
the inputs it cannot show again, and the login forms of both login entrances."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

# Primary keys are BigAutoField: nothing above this exists, and larger numbers overflow the database driver.
MAX_ID = 2**63 - 1
# A posted id list longer than this is not a person's selection (the queue shows 25 rows a page).
MAX_IDS = 500

RESELECT_FILE = _("提交未成功时已选择的文件不会保留，请重新选择文件。")
RETYPE_ID_NUMBER = _("为保护您的信息，身份证号码不会显示在页面上；提交未成功时请重新输入。")
RETYPE_PASSWORD = _("为保护您的信息，密码不会显示在页面上；提交未成功时请重新输入。")


def parse_id(value) -> int | None:
    """A database id from request data: ASCII digits only, 1 to MAX_ID; anything else is None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


class IdField(forms.Field):
    """One id (for instance a hidden `org` filter): parsed by `parse_id`, an invalid one is a form error."""

    default_error_messages = {"invalid": _("所选对象无效，请刷新页面后重试")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = parse_id(value.strip() if isinstance(value, str) else value)
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class IdListField(forms.Field):
    """Repeated ids (checkboxes of a list): each parsed by `parse_id`, at most MAX_IDS, duplicates dropped."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("所选对象无效，请刷新页面后重试"),
        "too_many": _("一次最多选择 %(limit)s 项"),
        "required": _("请至少选择一项"),
    }

    def __init__(self, *, max_items: int = MAX_IDS, **kwargs):
        self.max_items = max_items
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return []
        values = value if isinstance(value, (list, tuple)) else [value]
        if len(values) > self.max_items:
            raise ValidationError(self.error_messages["too_many"], code="too_many", params={"limit": self.max_items})
        ids = [parse_id(v) for v in values]
        if any(i is None for i in ids):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return sorted(set(ids))


# Passwords longer than this are no one's: the cap keeps a megabyte "password" from reaching the hasher.
MAX_PASSWORD_LENGTH = 1024


class _LimitedLogin:
    """Django's login form sets the username's max_length only on the widget, so a huge username reached
    authenticate() and django-axes' access-attempt row (varchar 255). Here both fields are validated first."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username, password = self.fields["username"], self.fields["password"]
        username.validators.append(
            MaxLengthValidator(username.max_length, message=_("用户名不能超过 %(limit_value)d 个字符"))
        )
        password.max_length = MAX_PASSWORD_LENGTH
        password.validators.append(
            MaxLengthValidator(MAX_PASSWORD_LENGTH, message=_("密码不能超过 %(limit_value)d 个字符"))
        )


class LoginForm(_LimitedLogin, AuthenticationForm):
    """The site's login page."""


class AdminLoginForm(_LimitedLogin, AdminAuthenticationForm):
    """The admin site's login page (AdminSite.login_form)."""
