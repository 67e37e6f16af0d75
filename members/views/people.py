"""The applicant's own pages: registration, consent, the home page, profile and awards. Every object is
fetched through members.selectors from the signed-in user's own person, so another person's id answers 404."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kexie.downloads import attachment
from kexie.errors import DomainError
from kexie.page_cache import cached_until_write
from kexie.ratelimit import ID_NUMBER_PER_ACCOUNT, ID_NUMBER_PER_ADDRESS, REGISTRATION, limit_posts, registered
from kexie.validators import mask_mobile
from kexie.redirects import next_url
from members.forms.people import AwardForm, EmailVerifyForm, MobileChangeForm, ProfileForm, RegistrationForm
from members.models import Person
from members.selectors.people import (
    applicant_on_the_way,
    applicant_steps,
    award_of_or_404,
    awards_of,
    memberships_of,
    notices_latest,
    person_for,
    person_for_home,
)
from members.services import awards, consent as consent_services, people
from members.services.data_rights import person_id_number_needed
from members.services.verification import CodeRefused
from members.signals import home_page_shown, page_context


def _error_text(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _code_sent_message(request, mobile: str) -> None:
    messages.success(
        request,
        _("验证码已发送至 %(mobile)s，%(minutes)s 分钟内有效。")
        % {"mobile": mask_mobile(mobile), "minutes": int(settings.VERIFICATION_CODE_LIFETIME.total_seconds() // 60)},
    )


def _wants_code(request) -> bool:
    return request.method == "POST" and request.POST.get("action") == "send_code"


@limit_posts(REGISTRATION, count=registered)
@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("members:me")
    sending = _wants_code(request)
    form = RegistrationForm(request.POST or None, sending_code=sending)
    if request.method == "POST" and form.is_valid():
        mobile = form.cleaned_data["mobile"]
        if sending:
            try:
                people.registration_code_send(mobile=mobile)
            except DomainError as exc:
                form.add_error("mobile", exc.message)
            else:
                _code_sent_message(request, mobile)
            return render(request, "members/register.html", {"form": form, "code_wait": _code_wait(form)})
        try:
            user = people.user_register(
                mobile=mobile,
                password=form.cleaned_data["password"],
                email=form.cleaned_data["email"],
                code=form.cleaned_data["code"],
            )
        except ValidationError as exc:
            for message in _error_text(exc):
                form.add_error("password", message)
        except CodeRefused as exc:
            form.add_error("code", exc.message)
        except DomainError as exc:
            form.add_error("mobile", exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功。请先阅读个人信息授权说明。"))
            return redirect("members:consent")
    return render(request, "members/register.html", {"form": form, "steps": applicant_steps("register")})


def _code_wait(form) -> int:
    """Seconds the 获取验证码 button stays disabled after a code went out (0 when none did)."""
    return 0 if form.errors else _resend_seconds()


@login_required
@require_http_methods(["GET", "POST"])
def mobile_change(request):
    sending = _wants_code(request)
    form = MobileChangeForm(request.POST or None, sending_code=sending)
    context = {"form": form, "current": mask_mobile(request.user.mobile or "")}
    if request.method == "POST" and form.is_valid():
        new_mobile = form.cleaned_data["new_mobile"]
        if sending:
            try:
                people.mobile_change_code_send(user=request.user, new_mobile=new_mobile)
            except DomainError as exc:
                form.add_error("new_mobile", exc.message)
            else:
                _code_sent_message(request, new_mobile)
            return render(request, "members/mobile_change.html", {**context, "code_wait": _code_wait(form)})
        try:
            people.user_mobile_change(
                user=request.user, new_mobile=new_mobile, code=form.cleaned_data["code"],
                password=form.cleaned_data["password"],
            )
        except CodeRefused as exc:
            form.add_error("code", exc.message)
        except people.WrongPassword as exc:
            form.add_error("password", exc.message)
        except DomainError as exc:
            form.add_error("new_mobile", exc.message)
        else:
            messages.success(request, _("手机号码已更换为 %(mobile)s，请用新号码登录。") % {"mobile": mask_mobile(new_mobile)})
            return redirect("members:profile")
    return render(request, "members/mobile_change.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def email_verify(request):
    """Prove the account's email address with a code, so that it can recover the password."""
    user = request.user
    sending = _wants_code(request)
    form = EmailVerifyForm(None if sending else (request.POST or None))
    if sending:
        try:
            people.email_verify_code_send(user=user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("验证码已发送到您的邮箱，5 分钟内有效。"))
            return render(request, "members/email_verify.html", {"form": form, "code_wait": _resend_seconds()})
    elif request.method == "POST" and form.is_valid():
        try:
            people.user_email_verify(user=user, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            messages.success(request, _("邮箱已验证，忘记密码时也可以通过邮箱找回。"))
            return redirect("members:profile")
    return render(request, "members/email_verify.html", {"form": form})


def _resend_seconds() -> int:
    return settings.VERIFICATION_CODE_RESEND_SECONDS


@login_required
@require_http_methods(["GET", "POST"])
def consent(request):
    live = consent_services.consent_live(request.user)
    if request.method == "POST":
        consent_services.consent_give(user=request.user)
        messages.success(request, _("已记录您的授权，现在可以填写身份证号码。"))
        return redirect(next_url(request, reverse("members:profile")))
    person = person_for(request.user)
    return render(
        request,
        "members/consent.html",
        {
            "consent": live,
            "version": consent_services.CONSENT_VERSION,
            "history": request.user.consent_set.order_by("-given_at"),
            "id_number_needed": person is not None and person_id_number_needed(person),
            "next": next_url(request, ""),
            "steps": applicant_steps("consent") if applicant_on_the_way(person) else None,
        },
    )


@login_required
@require_POST
def consent_withdraw(request):
    try:
        consent_services.consent_withdraw(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤回授权。重新授权之前，系统不会再接收或使用您的身份证号码。"))
    return redirect("members:consent")


@login_required
@require_GET
@cached_until_write
def me(request):
    """The applicant's home page, which adapts to where they stand: the next step on the way, the application
    being handled, or their membership cards."""
    person = person_for_home(request.user)
    notices, unread = notices_latest(request.user, 5)
    consent = consent_services.consent_live(request.user)
    missing = people.profile_missing_fields(person) if person else []
    memberships = list(memberships_of(person))
    next_step = "consent" if not consent else "profile" if person is None or missing else "choose"
    return render(
        request,
        "members/me.html",
        {
            "person": person,
            "consent": consent,
            "missing": missing,
            "awards_count": person.awards_total if person else 0,
            "memberships": memberships,
            "active_memberships": [m for m in memberships if m.status == m.Status.ACTIVE],
            "steps": applicant_steps(next_step) if applicant_on_the_way(person, memberships) else None,
            "notices": notices,
            "unread": unread,
            # The latest applications come from approvals.
            **page_context(home_page_shown, Person, person=person),
        },
    )


def _id_number_attempt_allowed(request) -> bool:
    if ID_NUMBER_PER_ACCOUNT.count_for(str(request.user.pk)) >= ID_NUMBER_PER_ACCOUNT.limit:
        return False
    if ID_NUMBER_PER_ADDRESS.exceeded(request):
        return False
    ID_NUMBER_PER_ACCOUNT.hit_for(str(request.user.pk))
    ID_NUMBER_PER_ADDRESS.hit(request)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    person = person_for(request.user)
    consented = consent_services.consent_live(request.user) is not None
    has_id = bool(person and person.id_number_index)
    initial = {} if person else {"mobile": request.user.mobile or "", "email": request.user.email}
    form = ProfileForm(
        request.POST or None,
        instance=person,
        initial=initial,
        id_number_allowed=consented,
        has_id_number=has_id,
        account_mobile=request.user.mobile or "",
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data.get("id_number") and not _id_number_attempt_allowed(request):
            form.add_error("id_number", _("身份证号码提交次数过多，请 1 小时后再试；其他资料可先不填身份证号码保存。"))
            return render(request, "members/profile.html", _profile_context(request, form, person, consented), status=429)
        try:
            person = people.person_profile_save(
                user=request.user,
                id_number=form.cleaned_data.get("id_number") or None,
                **form.profile_fields(),
            )
        except ValidationError as exc:
            for message in _error_text(exc):
                form.add_error("id_number" if "id_number" in form.fields else None, message)
        except DomainError as exc:
            form.add_error("id_number" if "id_number" in form.fields else None, exc.message)
        else:
            messages.success(request, _("个人资料已保存。"))
            return redirect(next_url(request, reverse("members:profile")))
    return render(request, "members/profile.html", _profile_context(request, form, person, consented))


def _profile_context(request, form, person, consented) -> dict:
    return {
        "form": form,
        "person": person,
        "consented": consented,
        "awards": awards_of(person),
        "missing": people.profile_missing_fields(person) if person else [],
        "next": next_url(request, ""),
        "steps": applicant_steps("profile") if applicant_on_the_way(person) else None,
    }


def _person_or_redirect(request):
    person = person_for(request.user)
    if person is None:
        messages.info(request, _("请先填写并保存个人资料。"))
    return person


@login_required
@require_http_methods(["GET", "POST"])
def award_create(request):
    person = _person_or_redirect(request)
    if person is None:
        return redirect("members:profile")
    return _award_form(request, person, None)


@login_required
@require_http_methods(["GET", "POST"])
def award_edit(request, pk):
    person = person_for(request.user)
    return _award_form(request, person, award_of_or_404(person, pk))


def _award_form(request, person, award):
    form = AwardForm(request.POST or None, request.FILES or None, instance=award)
    if request.method == "POST" and form.is_valid():
        try:
            awards.award_save(
                person=person,
                award=award,
                evidence=form.cleaned_data.get("evidence"),
                remove_evidence=form.cleaned_data.get("remove_evidence", False),
                **form.award_fields(),
            )
        except ValidationError as exc:
            for message in _error_text(exc):
                form.add_error("evidence", message)
        else:
            messages.success(request, _("奖励与荣誉已保存。"))
            return redirect(next_url(request, reverse("members:profile") + "#awards"))
    context = {
        "form": form,
        "award": award,
        "next": next_url(request, ""),
        "steps": applicant_steps("profile") if applicant_on_the_way(person) else None,
    }
    return render(request, "members/award_form.html", context)


@login_required
@require_POST
def award_delete(request, pk):
    person = person_for(request.user)
    award = award_of_or_404(person, pk)
    awards.award_delete(person=person, award=award)
    messages.success(request, _("已删除“%(name)s”。") % {"name": award.name})
    return redirect(reverse("members:profile") + "#awards")


CONTENT_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


@login_required
@require_GET
def award_evidence(request, pk):
    award = award_of_or_404(person_for(request.user), pk)
    if not award.evidence:
        raise Http404
    suffix = Path(award.evidence.name).suffix.lower()
    try:
        handle = award.evidence.open("rb")
    except FileNotFoundError:
        raise Http404
    response = FileResponse(handle, content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"))
    return attachment(response, f"证明材料-{award.name}{suffix}")
