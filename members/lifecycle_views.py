"""Console pages of the member lifecycle. Thin: parse, fetch through a selector, call one service, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from approvals.forms import RecommendForm
from kexie.decorators import console_required
from kexie.errors import DomainError, OutOfScope
from kexie.excel import csv_attachment, filters_for_audit, xlsx_response
from members import census as census_services
from members import lifecycle_selectors as selectors
from members import lifecycle_services as services
from members.lifecycle_forms import (
    CensusUploadForm,
    ClaimForm,
    FeeForm,
    FeePaymentForm,
    GradeForm,
    MemberDirectoryForm,
    StatusForm,
    TransferForm,
    UnitLinkForm,
    UnitMemberForm,
)
from members.models import CensusImport, Membership, UnitMember
from orgs.models import AuditEvent
from orgs.selectors import (
    list_scope_org_or_404,
    org_managed_or_404,
    org_visible_or_404,
    orgs_granted_directly,
    orgs_managed_by,
    orgs_visible_to,
)

PAGE_SIZE = 50


def _can_manage(user, org) -> bool:
    return user.is_superuser or orgs_managed_by(user).filter(pk=org.pk).exists()


# --- hub and directory --------------------------------------------------------------------------------------


@console_required
def home(request):
    orgs = orgs_visible_to(request.user).order_by("tree_id", "lft")
    query = request.GET.get("q", "").strip()
    if query:
        orgs = orgs.filter(name__contains=query)
    page = Paginator(orgs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lifecycle/home.html", {"page": page, "q": query})


def _directory_form(request) -> MemberDirectoryForm:
    form = MemberDirectoryForm(request.GET, orgs=orgs_visible_to(request.user))
    if not form.is_valid() and "org" in form.errors:
        raise Http404  # a tampered org id outside the subtree looks like a missing page
    return form


@console_required
@require_GET
def member_list(request):
    """The one member directory: visible orgs, filtered; every per-member action is on the detail page."""
    form = _directory_form(request)
    if form.is_valid():
        members = selectors.member_directory(request.user, **form.selector_kwargs())
        org = form.cleaned_data["org"]
    else:
        members, org = Membership.objects.none(), None
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    if org is None and not form.data.get("subtree"):
        own = list(orgs_granted_directly(request.user)[:2])
        org = own[0] if len(own) == 1 else None
    context = {
        "form": form,
        "page": page,
        "fellow_org": org,
        "fellows": selectors.fellow_places(org) if org else None,
        "export_query": request.GET.urlencode() if form.is_valid() else "",
    }
    return render(request, "lifecycle/member_list.html", context)


@console_required
@require_GET
def member_export(request):
    form = _directory_form(request)
    if not form.is_valid():
        messages.error(request, _("筛选条件有误，请修改后再导出"))
        return redirect("lifecycle:member_list")
    kwargs = form.selector_kwargs()
    scope_org = list_scope_org_or_404(request.user, kwargs["org"])
    content = services.memberships_export(
        actor=request.user,
        memberships=selectors.member_directory(request.user, **kwargs),
        scope_org=scope_org,
        filters=filters_for_audit(form.cleaned_data),
    )
    return xlsx_response(f"{scope_org.name}-会员名册-{timezone.localdate():%Y%m%d}.xlsx", content)


# Each form of the member page gets its own id prefix: several of them have a "comment" or "year" field.
_MEMBER_FORM_IDS = {
    "grade_form": "grade_%s",
    "unit_form": "unit_%s",
    "fee_form": "fee_%s",
    "transfer_form": "transfer_%s",
    "status_form": "status_%s",
    "recommend_form": "id_%s",
}


def _member_form(key: str, request, membership, data=None):
    auto_id = _MEMBER_FORM_IDS[key]
    if key == "grade_form":
        return GradeForm(data, auto_id=auto_id, initial={"grade": membership.grade, "category": membership.category})
    if key == "unit_form":
        units = UnitMember.objects.filter(org__in=orgs_managed_by(request.user)) if data is not None else selectors.units_of(membership.org)
        return UnitLinkForm(data, auto_id=auto_id, units=units, initial={"unit": membership.unit_id})
    if key == "fee_form":
        return FeePaymentForm(data, auto_id=auto_id)
    if key == "transfer_form":
        orgs = orgs_managed_by(request.user)
        if data is None:
            orgs = orgs.exclude(pk=membership.org_id).order_by("tree_id", "lft")
        return TransferForm(data, auto_id=auto_id, orgs=orgs)
    if key == "status_form":
        return StatusForm(data, auto_id=auto_id)
    return RecommendForm(data, auto_id=auto_id)


def _member_page(request, membership, *, bound: dict | None = None, status: int = 200):
    can_manage = _can_manage(request.user, membership.org)
    context = {
        "m": membership,
        "person": membership.person,
        "can_manage": can_manage,
        "can_recommend": can_manage and membership.status == Membership.Status.ACTIVE and membership.org.parent_id is not None,
        "fellows": selectors.fellow_places(membership.org),
        "fee_lines": selectors.fees_of_person(membership.person, this_year=timezone.localdate().year),
        "events": AuditEvent.objects.for_object(membership).select_related("actor"),
    }
    if can_manage:
        for key in _MEMBER_FORM_IDS:
            context[key] = (bound or {}).get(key) or _member_form(key, request, membership)
    return render(request, "lifecycle/member_detail.html", context, status=status)


@console_required
def member_detail(request, membership_id: int):
    membership = selectors.membership_visible_or_404(request.user, membership_id)
    return _member_page(request, membership)


def _member_action(request, membership_id, key: str, run, success: str):
    """POST-only member actions: scope first (404), then validate, then the one service call. On an error the
    member page is shown again with the form as it was typed and the reason next to it."""
    membership = selectors.membership_managed_or_404(request.user, membership_id)
    form = _member_form(key, request, membership, request.POST)
    if form.is_valid():
        try:
            run(membership, form.cleaned_data)
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, success)
            return redirect("lifecycle:member_detail", membership.pk)
    membership = selectors.membership_visible_or_404(request.user, membership.pk)
    return _member_page(request, membership, bound={key: form}, status=400)


@console_required
@require_POST
def member_grade(request, membership_id: int):
    return _member_action(
        request,
        membership_id,
        "grade_form",
        lambda m, d: services.membership_grade_set(actor=request.user, membership=m, grade=d["grade"], category=d["category"]),
        _("已更新会员等级与类别"),
    )


@console_required
@require_POST
def member_unit(request, membership_id: int):
    return _member_action(
        request,
        membership_id,
        "unit_form",
        lambda m, d: services.membership_unit_link(actor=request.user, membership=m, unit=d["unit"]),
        _("已更新团体会员关联"),
    )


@console_required
@require_POST
def member_fee(request, membership_id: int):
    return _member_action(
        request,
        membership_id,
        "fee_form",
        lambda m, d: services.fee_payment_record(
            actor=request.user, membership=m, year=d["year"], kind=d["kind"], paid_on=d["paid_on"], note=d["note"]
        ),
        _("已登记会费"),
    )


@console_required
@require_POST
def member_status(request, membership_id: int):
    return _member_action(
        request,
        membership_id,
        "status_form",
        lambda m, d: services.membership_status_set(actor=request.user, membership=m, status=d["status"], comment=d["comment"]),
        _("已变更会员状态"),
    )


@console_required
@require_POST
def member_transfer(request, membership_id: int):
    membership = selectors.membership_managed_or_404(request.user, membership_id)
    form = _member_form("transfer_form", request, membership, request.POST)
    if form.is_valid():
        try:
            new = services.membership_transfer(
                actor=request.user, membership=membership, target_org=form.cleaned_data["target_org"], comment=form.cleaned_data["comment"]
            )
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已转入“%(org)s”，新会员编号 %(number)s") % {"org": new.org.name, "number": new.number})
            return redirect("lifecycle:member_detail", new.pk)
    membership = selectors.membership_visible_or_404(request.user, membership.pk)
    return _member_page(request, membership, bound={"transfer_form": form}, status=400)


# --- unit members and fees ----------------------------------------------------------------------------------


@console_required
def unit_list(request, org_id: int):
    org = org_visible_or_404(request.user, org_id)
    page = Paginator(selectors.units_of(org), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lifecycle/unit_list.html", {"org": org, "page": page, "can_manage": _can_manage(request.user, org)})


@console_required
def unit_create(request, org_id: int):
    org = org_managed_or_404(request.user, org_id)
    form = UnitMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_member_create(actor=request.user, org=org, **form.cleaned_data)
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已登记团体会员"))
            return redirect("lifecycle:units", org.pk)
    return render(request, "lifecycle/unit_form.html", {"org": org, "form": form})


def _fee_page(request, org, *, form=None, status: int = 200):
    year = timezone.localdate().year
    context = {
        "org": org,
        "fees": org.fees.all(),
        "form": form or FeeForm(initial={"year": year}),
        "collection": selectors.fee_collection(org=org, year=year),
        "year": year,
        "can_manage": _can_manage(request.user, org),
    }
    return render(request, "lifecycle/fee_list.html", context, status=status)


@console_required
def fee_list(request, org_id: int):
    return _fee_page(request, org_visible_or_404(request.user, org_id))


@console_required
@require_POST
def fee_set(request, org_id: int):
    org = org_managed_or_404(request.user, org_id)
    form = FeeForm(request.POST)
    if form.is_valid():
        try:
            services.fee_set(actor=request.user, org=org, **form.cleaned_data)
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已保存会费标准"))
            return redirect("lifecycle:fees", org.pk)
    return _fee_page(request, org, form=form, status=400)


# --- census -------------------------------------------------------------------------------------------------


@console_required
def census_list(request, org_id: int):
    org = org_visible_or_404(request.user, org_id)
    page = Paginator(selectors.census_imports_of(org), 20).get_page(request.GET.get("page"))
    context = {
        "org": org,
        "page": page,
        "progress": selectors.census_campaign_progress(org),
        "form": CensusUploadForm(),
        "can_manage": _can_manage(request.user, org),
    }
    return render(request, "lifecycle/census_list.html", context)


@console_required
def census_upload(request, org_id: int):
    org = org_managed_or_404(request.user, org_id)
    form = CensusUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            census = census_services.census_import_create(actor=request.user, org=org, file=form.cleaned_data["file"])
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("lifecycle:census_detail", census.pk)
    return render(request, "lifecycle/census_upload.html", {"org": org, "form": form})


@console_required
def census_detail(request, census_id: int):
    census = selectors.census_visible_or_404(request.user, census_id)
    show = request.GET.get("show", "errors" if census.error_rows else "all")
    rows = census.rows.order_by("row_number")
    if show == "errors":
        rows = selectors.census_error_rows(census)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "census": census,
        "org": census.org,
        "page": page,
        "show": show,
        "busy": census.status in (CensusImport.Status.VALIDATING, CensusImport.Status.COMMITTING),
        "stalled": census_services.census_job_stalled(census),
        "stall_minutes": max(1, settings.CENSUS_JOB_STALL_SECONDS // 60),
        "can_manage": _can_manage(request.user, census.org),
        "progress": selectors.census_campaign_progress(census.org) if census.status == CensusImport.Status.COMMITTED else [],
    }
    return render(request, "lifecycle/census_detail.html", context)


@console_required
def census_status(request, census_id: int):
    census = selectors.census_visible_or_404(request.user, census_id)
    progress = census_services.census_progress_get(census.pk) or {}
    busy = census.status in (CensusImport.Status.VALIDATING, CensusImport.Status.COMMITTING)
    return JsonResponse(
        {
            "status": census.status,
            "status_display": census.get_status_display(),
            "phase": progress.get("phase", ""),
            "processed": progress.get("processed", 0),
            "total": progress.get("total", census.total_rows),
            "valid_rows": census.valid_rows,
            "error_rows": census.error_rows,
            "imported_rows": census.imported_rows,
            "done": not busy,
            "message": census.message,
            "stalled": census_services.census_job_stalled(census),
            "attempts": census.attempts,
        }
    )


@console_required
@require_POST
def census_retry(request, census_id: int):
    """重新处理 a job that stopped progressing; pressing twice sends one job."""
    census = selectors.census_managed_or_404(request.user, census_id)
    try:
        attempts = int(request.POST.get("attempts", ""))
    except ValueError:
        attempts = -1
    try:
        sent = census_services.census_job_retry(actor=request.user, census=census, attempts=attempts)
    except OutOfScope:
        raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if sent:
            messages.success(request, _("已重新开始处理，请稍候"))
        else:
            messages.info(request, _("该名单已在重新处理，请稍候"))
    return redirect("lifecycle:census_detail", census.pk)


@console_required
@require_POST
def census_commit(request, census_id: int):
    census = selectors.census_managed_or_404(request.user, census_id)
    try:
        census_services.census_commit_start(actor=request.user, census=census)
    except OutOfScope:
        raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("lifecycle:census_detail", census.pk)


@console_required
def census_errors(request, census_id: int):
    census = selectors.census_visible_or_404(request.user, census_id)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    content = services.census_errors_export(
        actor=request.user, census=census, error_rows=selectors.census_error_rows(census), fmt=fmt
    )
    filename = f"{census.org.name}-普查错误报告-{census.pk}.{fmt}"
    return csv_attachment(filename, content) if fmt == "csv" else xlsx_response(filename, content)


# --- annual report ------------------------------------------------------------------------------------------


def _report_for(request, org_id: int, year: int):
    org = org_visible_or_404(request.user, org_id)
    if not 2000 <= year <= 2100:
        raise Http404
    return selectors.annual_report(org=org, year=year, subtree=request.GET.get("scope") == "subtree")


@console_required
def report(request, org_id: int, year: int):
    return render(request, "lifecycle/report.html", {"r": _report_for(request, org_id, year), "org_id": org_id})


@console_required
def report_xlsx(request, org_id: int, year: int):
    r = _report_for(request, org_id, year)
    content = services.annual_report_export(actor=request.user, report=r)
    return xlsx_response(f"{r.org.name}-{year}年报.xlsx", content)


# --- member's own pages and the public re-registration page -------------------------------------------------


@login_required
def me_fees(request):
    person = getattr(request.user, "person", None)
    lines = selectors.fees_of_person(person, this_year=timezone.localdate().year) if person else []
    return render(request, "lifecycle/me_fees.html", {"lines": lines})


def claim(request, token: str):
    row = census_services.census_row_for_token(token)
    if row is None:
        raise Http404
    if row.claimed_at is not None:
        return render(request, "lifecycle/claim_done.html", {"row": row, "already": True})
    person = row.membership.person
    initial = {
        "name": person.name,
        "mobile": person.mobile,
        "email": person.email,
        "employer": person.employer,
        "education": person.education,
        "title": person.title,
    }
    form = ClaimForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = census_services.census_claim(
                token=token,
                id_number=data["id_number"],
                password=data["password1"],
                mobile=data["mobile"],
                name=data["name"],
                employer=data["employer"],
                education=data["education"],
                title=data["title"],
                email=data["email"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("重新登记已完成，您的会员资格已恢复有效"))
            return redirect(reverse("lifecycle_public:me_fees"))
    return render(request, "lifecycle/claim.html", {"row": row, "form": form, "org": row.membership.org})
