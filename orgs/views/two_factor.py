"""Two-factor pages of administrators and staff: enrol an authenticator, enter its code after signing in,
recovery codes, and the reset of a lost authenticator by the organisation above."""

import base64
import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from kexie.errors import DomainError
from kexie.redirects import next_url
from orgs.decorators import console_user_required, officer_required
from orgs.forms import TwoFactorSetupForm, TwoFactorTokenForm, TwoFactorVerifyForm
from orgs.middleware import REMEMBER_COOKIE
from orgs.services import accounts as account_services
from orgs.services import two_factor
from orgs.models import OfficerRole
from orgs.views import account_action


def _qr_data_uri(device: TOTPDevice) -> str:
    # An inline data: image: the content security policy allows data: images and nothing inline else.
    buffer = io.BytesIO()
    write_qrcode_image(device.config_url, buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _codes_page(request, codes: list[str], *, next_target: str):
    response = render(request, "orgs/two_factor_codes.html", {"codes": codes, "next": next_target})
    # Shown once: no cache, no back-button copy.
    add_never_cache_headers(response)
    return response


@console_user_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    user = request.user
    target = next_url(request, reverse("approvals:org_tree"))
    if two_factor.two_factor_device(user) is not None:
        return redirect("orgs:two_factor")
    if request.method == "POST":
        device = two_factor.two_factor_enrolment_pending(user)
        if device is None:
            # A code can only come from a QR code this page showed; without one, show it (a refused post
            # creates nothing).
            return redirect(request.get_full_path())
    else:
        device = two_factor.two_factor_enrolment_start(user=user)
    form = TwoFactorSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.two_factor_enrolment_confirm(user=user, token=form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            otp_login(request, device)
            return _codes_page(request, codes, next_target=target)
    response = render(
        request,
        "orgs/two_factor_setup.html",
        {"form": form, "qr": _qr_data_uri(device), "secret": two_factor.totp_secret_text(device), "next": target},
    )
    add_never_cache_headers(response)
    return response


@console_user_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    user = request.user
    target = next_url(request, reverse("approvals:org_tree"))
    if two_factor.two_factor_device(user) is None:
        return redirect(f"{reverse('orgs:two_factor_setup')}?{urlencode({'next': target})}")
    hours = int(two_factor.remember_duration().total_seconds() // 3600)
    form = TwoFactorVerifyForm(request.POST or None, remember_hours=hours)
    if request.method == "POST" and form.is_valid():
        device = two_factor.two_factor_verify(user=user, token=form.cleaned_data["token"])
        if device is None:
            form.add_error("token", _("验证码不正确，或尝试过于频繁，请稍候再输入当前显示的验证码"))
        else:
            otp_login(request, device)
            response = redirect(target)
            if isinstance(device, TOTPDevice):
                if form.cleaned_data["remember"]:
                    response.set_cookie(
                        REMEMBER_COOKIE,
                        two_factor.remember_token_issue(user=user, device=device),
                        max_age=int(two_factor.remember_duration().total_seconds()),
                        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
                        httponly=True,
                        samesite="Lax",
                    )
            else:
                messages.warning(
                    request,
                    _("已使用一个恢复码登录，还剩 %(left)s 个。手机找回前，请在“双因素认证”页面生成新的恢复码。")
                    % {"left": two_factor.recovery_codes_left(user)},
                )
            return response
    return render(request, "orgs/two_factor_verify.html", {"form": form, "next": target})


@console_user_required
@require_GET
def two_factor_manage(request):
    user = request.user
    return render(
        request,
        "orgs/two_factor.html",
        {
            "device": two_factor.two_factor_device(user),
            "codes_left": two_factor.recovery_codes_left(user),
            "form": TwoFactorTokenForm(),
        },
    )


@console_user_required
@require_POST
def two_factor_codes_regenerate(request):
    form = TwoFactorTokenForm(request.POST)
    if form.is_valid():
        try:
            codes = two_factor.recovery_codes_regenerate(user=request.user, token=form.cleaned_data["token"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return _codes_page(request, codes, next_target=reverse("orgs:two_factor"))
    else:
        messages.error(request, _("请输入身份验证器上当前显示的 6 位数字"))
    return redirect("orgs:two_factor")


@officer_required(OfficerRole.SECURITY, administrators=True)
@require_POST
def account_two_factor_reset(request, user_id: int):
    return account_action(
        request,
        user_id,
        account_services.admin_account_two_factor_reset,
        _("已重置 %(username)s 的双因素认证；该账号下次登录时需重新绑定身份验证器。"),
    )
