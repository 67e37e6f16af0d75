"""The applicant's pages. Every object is fetched through members.selectors from the signed-in user's own
person, so another person's id answers 404."""

from pathlib import Path

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals.eligibility import all_met, eligibility_check
from approvals.models import Application
from approvals.services import (
    application_resubmit,
    application_submit,
    application_withdraw,
    profile_missing_fields,
)
from kexie.errors import DomainError
from kexie.ratelimit import REGISTRATION, limit_posts
from members import exports, selectors, services
from members.forms import ApplicationForm, AwardForm, OrgSearchForm, ProfileForm, RegistrationForm, ResubmitForm

PAGE_SIZE = 20


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _error_text(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


@limit_posts(REGISTRATION)
def register(request):
    if request.user.is_authenticated:
        return redirect("members:me")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_register(
                mobile=form.cleaned_data["mobile"],
                password=form.cleaned_data["password"],
                email=form.cleaned_data["email"],
            )
        except ValidationError as exc:
            for message in _error_text(exc):
                form.add_error("password", message)
        except DomainError as exc:
            form.add_error("mobile", exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功。请先阅读个人信息授权说明。"))
            return redirect("members:consent")
    return render(request, "members/register.html", {"form": form})


@login_required
def consent(request):
    live = services.consent_live(request.user)
    if request.method == "POST":
        services.consent_give(user=request.user)
        messages.success(request, _("已记录您的授权，现在可以填写身份证号码。"))
        return redirect(_next_url(request, reverse("members:profile")))
    person = selectors.person_for(request.user)
    return render(
        request,
        "members/consent.html",
        {
            "consent": live,
            "version": services.CONSENT_VERSION,
            "history": request.user.consent_set.order_by("-given_at"),
            "id_number_needed": person is not None and services.person_id_number_needed(person),
            "next": _next_url(request, ""),
        },
    )


@login_required
@require_POST
def consent_withdraw(request):
    try:
        services.consent_withdraw(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤回授权。重新授权之前，系统不会再接收或使用您的身份证号码。"))
    return redirect("members:consent")


@login_required
def me(request):
    person = selectors.person_for(request.user)
    notices = selectors.notices_for(request.user)
    return render(
        request,
        "members/me.html",
        {
            "person": person,
            "consent": services.consent_live(request.user),
            "missing": profile_missing_fields(person) if person else [],
            "awards_count": selectors.awards_of(person).count(),
            "applications": list(selectors.applications_of(person)[:5]),
            "memberships": list(selectors.memberships_of(person)),
            "notices": list(notices[:5]),
            "unread": notices.filter(read_at__isnull=True).count(),
        },
    )


@login_required
def profile(request):
    person = selectors.person_for(request.user)
    consented = services.consent_live(request.user) is not None
    has_id = bool(person and person.id_number_index)
    initial = {} if person else {"mobile": request.user.mobile or "", "email": request.user.email}
    form = ProfileForm(
        request.POST or None,
        instance=person,
        initial=initial,
        id_number_allowed=consented,
        has_id_number=has_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_profile_save(
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
            return redirect(_next_url(request, reverse("members:profile")))
    return render(
        request,
        "members/profile.html",
        {
            "form": form,
            "person": person,
            "consented": consented,
            "awards": selectors.awards_of(person),
            "missing": profile_missing_fields(person) if person else [],
            "next": _next_url(request, ""),
        },
    )


def _person_or_redirect(request):
    person = selectors.person_for(request.user)
    if person is None:
        messages.info(request, _("请先填写并保存个人资料。"))
    return person


@login_required
def award_create(request):
    person = _person_or_redirect(request)
    if person is None:
        return redirect("members:profile")
    return _award_form(request, person, None)


@login_required
def award_edit(request, pk):
    person = selectors.person_for(request.user)
    return _award_form(request, person, selectors.award_of_or_404(person, pk))


def _award_form(request, person, award):
    form = AwardForm(request.POST or None, request.FILES or None, instance=award)
    if request.method == "POST" and form.is_valid():
        try:
            services.award_save(
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
            return redirect(_next_url(request, reverse("members:profile") + "#awards"))
    return render(request, "members/award_form.html", {"form": form, "award": award, "next": _next_url(request, "")})


@login_required
@require_POST
def award_delete(request, pk):
    person = selectors.person_for(request.user)
    award = selectors.award_of_or_404(person, pk)
    services.award_delete(person=person, award=award)
    messages.success(request, _("已删除“%(name)s”。") % {"name": award.name})
    return redirect(reverse("members:profile") + "#awards")


CONTENT_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


@login_required
def award_evidence(request, pk):
    award = selectors.award_of_or_404(selectors.person_for(request.user), pk)
    if not award.evidence:
        raise Http404
    suffix = Path(award.evidence.name).suffix.lower()
    try:
        handle = award.evidence.open("rb")
    except FileNotFoundError:
        raise Http404
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"evidence-{award.pk}{suffix}",
        content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
    )


@login_required
def org_choose(request):
    form = OrgSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    context = {"form": form, "query": query}
    if query:
        context["page"] = Paginator(selectors.orgs_search(query), PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        parent, ancestors, children = selectors.org_browse(request.GET.get("parent"))
        context.update(parent=parent, ancestors=ancestors)
        context["page"] = Paginator(children, PAGE_SIZE * 5).get_page(request.GET.get("page"))
    return render(request, "members/org_choose.html", context)


@login_required
def apply(request, org_id):
    org = selectors.org_accepting_or_404(org_id)
    person = selectors.person_for(request.user)
    consented = services.consent_live(request.user) is not None
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and person is not None and consented:
        try:
            application = application_submit(
                person=person,
                org=org,
                explanation=form.cleaned_data["explanation"],
                declaration_accepted=form.cleaned_data["declaration"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("申请已提交，请等待“%(org)s”审核。") % {"org": org.name})
            return redirect("members:application_detail", application.pk)
    # The checklist is only for the page; a successful submit snapshots eligibility in the service.
    criteria = eligibility_check(person, org.level) if person else []
    return render(
        request,
        "members/apply.html",
        {
            "org": org,
            "person": person,
            "consented": consented,
            "missing": profile_missing_fields(person) if person else [_("个人资料")],
            "criteria": criteria,
            "all_met": all_met(criteria) if criteria else False,
            "open_here": person is not None and Application.objects.filter(person=person, org=org).open().first(),
            "form": form,
        },
    )


@login_required
def application_list(request):
    person = selectors.person_for(request.user)
    page = Paginator(selectors.applications_of(person), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/application_list.html", {"page": page})


@login_required
def application_detail(request, pk):
    person = selectors.person_for(request.user)
    application = selectors.application_of_or_404(person, pk)
    return render(
        request,
        "members/application_detail.html",
        {"application": application, "timeline": selectors.application_timeline(application)},
    )


@login_required
def application_resubmit_view(request, pk):
    person = selectors.person_for(request.user)
    application = selectors.application_of_or_404(person, pk)
    if application.status != Application.Status.RETURNED:
        messages.error(request, _("只有被退回修改的申请可以重新提交。"))
        return redirect("members:application_detail", application.pk)
    form = ResubmitForm(request.POST or None, initial={"explanation": application.explanation})
    if request.method == "POST" and form.is_valid():
        try:
            application_resubmit(application=application, person=person, explanation=form.cleaned_data["explanation"])
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("申请已重新提交。"))
            return redirect("members:application_detail", application.pk)
    criteria = eligibility_check(person, application.org.level)
    return render(
        request,
        "members/application_resubmit.html",
        {"application": application, "form": form, "criteria": criteria, "missing": profile_missing_fields(person)},
    )


@login_required
@require_POST
def application_withdraw_view(request, pk):
    person = selectors.person_for(request.user)
    application = selectors.application_of_or_404(person, pk)
    try:
        application_withdraw(application=application, person=person)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("申请已撤回。"))
    return redirect("members:application_detail", application.pk)


@login_required
def my_data(request):
    return render(request, "members/data.html", {"data": selectors.person_data(request.user)})


def _export(request, fmt: str):
    data = selectors.person_data(request.user)
    services.person_data_exported(user=request.user, fmt=fmt)
    if fmt == "json":
        body, content_type = exports.person_data_json(data), "application/json; charset=utf-8"
    else:
        body = exports.person_data_xlsx(data)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="my-data.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def my_data_json(request):
    return _export(request, "json")


@login_required
def my_data_xlsx(request):
    return _export(request, "xlsx")


@login_required
def account_delete(request):
    person = selectors.person_for(request.user)
    error = ""
    if request.method == "POST":
        if not request.user.check_password(request.POST.get("password", "")):
            error = _("密码不正确")
        else:
            result = services.account_delete(user=request.user)
            logout(request)
            if result["person_kept"]:
                messages.info(request, _("账号已注销。与会员资格和申请记录有关的资料已按说明保留并限制处理。"))
            else:
                messages.info(request, _("账号已注销，您的个人资料已删除。"))
            return redirect("home")
    applications = list(selectors.applications_of(person))
    return render(
        request,
        "members/account_delete.html",
        {
            "person": person,
            "open_applications": [a for a in applications if a.is_open],
            "decided_applications": [a for a in applications if a.status in ("approved", "rejected")],
            "memberships": list(selectors.memberships_of(person)),
            "error": error,
        },
    )


@login_required
def notice_list(request):
    page = Paginator(selectors.notices_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/notice_list.html", {"page": page})


@login_required
@require_POST
def notice_read(request):
    notice_id = request.POST.get("notice")
    try:
        notice_id = int(notice_id) if notice_id else None
    except ValueError:
        raise Http404
    services.notices_mark_read(user=request.user, notice_id=notice_id)
    return redirect(_next_url(request, reverse("members:notice_list")))
