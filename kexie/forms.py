from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from kexie.login_challenge import (
    FIELD,
    login_challenge_issue,
    login_challenge_passed,
    login_challenge_required,
    login_failure_record,
)


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
