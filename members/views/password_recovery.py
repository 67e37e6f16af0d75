"""找回密码: a code to the account's mobile or verified email, then a new password (no sign-in needed)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kexie.errors import DomainError
from members.forms.people import PasswordResetForm
from members.services import password_recovery

TEMPLATE = "members/password_reset.html"


@require_http_methods(["GET", "POST"])
def password_reset(request):
    sending = request.method == "POST" and request.POST.get("action") == "send_code"
    form = PasswordResetForm(request.POST or None, sending_code=sending)
    if request.method == "POST" and form.is_valid():
        account = form.cleaned_data["account"]
        if sending:
            try:
                password_recovery.password_reset_code_send(account=account)
            except DomainError as exc:
                form.add_error("account", exc.message)
                return render(request, TEMPLATE, {"form": form})
            # The same words whether or not the number has an account.
            messages.success(
                request,
                _("如果该手机号码或邮箱已注册，验证码已发送，%(minutes)s 分钟内有效。")
                % {"minutes": int(settings.VERIFICATION_CODE_LIFETIME.total_seconds() // 60)},
            )
            return render(request, TEMPLATE, {"form": form, "code_wait": settings.VERIFICATION_CODE_RESEND_SECONDS})
        try:
            password_recovery.user_password_reset(
                account=account, code=form.cleaned_data["code"], new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            form.add_error("new_password1", list(exc.messages))
        except DomainError as exc:  # the code was wrong or dead
            form.add_error("code", exc.message)
        else:
            messages.success(request, _("密码已重置，请用新密码登录。"))
            return redirect("login")
    return render(request, TEMPLATE, {"form": form})
