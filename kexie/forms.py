"""Form pieces shared by every app: bounded ids from request data, what a refused form tells the user about
the inputs it cannot show again, and the sign-in forms of both login entrances."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from kexie.login_challenge import (
    FIELD,
    login_challenge_issue,
    login_challenge_passed,
    login_challenge_required,
    login_failure_record,
)

# Primary keys are BigAutoField: nothing above this exists, and larger numbers overflow the database driver.
MAX_ID = 2**63 - 1
# A posted id list longer than this is not a person's selection (the queue shows 25 rows a page).
MAX_IDS = 500

RESELECT_FILE = _("提交未成功时已选择的文件不会保留，请重新选择文件。")
RETYPE_ID_NUMBER = _("为保护您的信息，身份证号码不会显示在页面上；提交未成功时请重新输入。")
RETYPE_PASSWORD = _("为保护您的信息，密码不会显示在页面上；提交未成功时请重新输入。")


class WriteOnlyTextInput(forms.TextInput):
    """A text box that never renders its value back: used for the ID number."""

    refused_notice = RETYPE_ID_NUMBER

    def format_value(self, value):
        return None


def _refused_notice(field: forms.Field):
    if isinstance(field, forms.FileField):
        return RESELECT_FILE
    if isinstance(field.widget, forms.PasswordInput) and not field.widget.render_value:
        return RETYPE_PASSWORD
    return getattr(field.widget, "refused_notice", None)


class RefusedInputNotices:
    """A refused form shows again everything that was typed, except what it must not (files, passwords, the
    ID number): next to each of those it says it must be chosen or typed again. Every error, from a field,
    from clean() or added by the view after a service refused, goes through add_error()."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name, form_field in self.fields.items():
            notice = _refused_notice(form_field)
            if notice and str(notice) not in str(form_field.help_text or ""):
                help_text = form_field.help_text
                form_field.help_text = format_lazy("{} {}", help_text, notice) if help_text else notice
                # A bound field made during cleaning copied the help text already.
                bound = self._bound_fields_cache.get(name)
                if bound is not None:
                    bound.help_text = form_field.help_text


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


# Passwords longer than this are no one's.
MAX_PASSWORD_LENGTH = 1024


class LoginChallengeMixin:
    """Every sign-in form: the per-username ceiling (kexie/login_challenge.py) before the password is checked.

    An attempt refused for a missing or stale check never reaches authenticate(), so it is not a failed
    password: neither django-axes nor the ceiling counts it.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码不正确，请重新输入。"),
        "login_check": _(
            "该账号近期在多处登录失败。为保护账号，浏览器需要先完成一次自动安全验证（通常只需几秒），"
            "完成后请重新输入密码登录。"
        ),
    }

    class Media:
        js = ["js/login-check.js"]

    # The challenge the re-rendered form carries for the browser to solve; None when none is needed.
    login_challenge = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django sets the username's max_length on the widget only, so a huge username reached authenticate()
        # and django-axes' attempt row (varchar 255); a megabyte "password" reached the hasher.
        username, password = self.fields["username"], self.fields["password"]
        username.validators.append(
            MaxLengthValidator(username.max_length, message=_("用户名不能超过 %(limit_value)d 个字符"))
        )
        password.max_length = MAX_PASSWORD_LENGTH
        password.validators.append(
            MaxLengthValidator(MAX_PASSWORD_LENGTH, message=_("密码不能超过 %(limit_value)d 个字符"))
        )

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and login_challenge_required(username=username):
            if not login_challenge_passed(username=username, payload=self.data.get(FIELD, "")):
                self.login_challenge = login_challenge_issue(username=username)
                raise forms.ValidationError(self.error_messages["login_check"], code="login_check")
        try:
            return super().clean()
        except forms.ValidationError as error:
            # A pair django-axes has locked is refused before any password check: that is no guess to count.
            locked_out = getattr(self.request, "axes_locked_out", False)
            if username and error.code == "invalid_login" and not locked_out:
                login_failure_record(username=username)
                if login_challenge_required(username=username):
                    self.login_challenge = login_challenge_issue(username=username)
            raise


class LoginForm(LoginChallengeMixin, AuthenticationForm):
    pass


class AdminLoginForm(LoginChallengeMixin, AdminAuthenticationForm):
    error_messages = {**AdminAuthenticationForm.error_messages, **LoginChallengeMixin.error_messages}


class PasswordChangeForm(DjangoPasswordChangeForm):
    """修改密码: an expired password (orgs.middleware.PasswordExpiryMiddleware) cannot be renewed as itself."""

    def clean(self):
        data = super().clean()
        password = data.get("new_password2")
        if password and not self.has_error("new_password2") and self.user.check_password(password):
            self.add_error("new_password2", forms.ValidationError(_("新密码不能与当前密码相同"), code="password_unchanged"))
        return data
