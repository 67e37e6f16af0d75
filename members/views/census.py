"""The census in the console (upload, preview, commit, error report) and the public re-registration page
reached from an invitation."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kexie.db_routing import replica_reads
from kexie.errors import DomainError, OutOfScope
from kexie.excel import csv_attachment, filters_for_audit, xlsx_response
from kexie.forms import parse_id
from kexie.log_filters import referrer_hidden
from kexie.ratelimit import CENSUS_UPLOADS, ID_NUMBER_CHECKS, REREGISTRATION_FAILURES, limit_posts, refused
from kexie.redirects import url_with_query
from members.forms.census import CensusPeopleFilterForm, CensusUploadForm, ClaimForm
from members.models import CensusImport, Membership, PersonAccess
from members.selectors.census import (
    census_campaign_progress,
    census_error_rows,
    census_imports_committed,
    census_imports_of,
    census_invitation_reach,
    census_managed_or_404,
    census_people as census_people_of,
    census_visible_or_404,
)
from members.services import census as census_services
from members.services.access import person_access_record
from orgs.decorators import console_required
from orgs.selectors.scope import can_manage_org, org_managed_or_404, org_visible_or_404

PAGE_SIZE = 50
# The census page's heading at each stage of an import.
STAGE_TITLES = {
    CensusImport.Status.VALIDATING: _l("正在校验名单"),
    CensusImport.Status.VALIDATED: _l("核对名单，确认导入"),
    CensusImport.Status.COMMITTING: _l("正在导入"),
    CensusImport.Status.COMMITTED: _l("导入完成"),
    CensusImport.Status.FAILED: _l("名单无法处理"),
}
# Commits this session started and has not yet told the administrator about (census_detail says it once).
COMMITS_STARTED = "census_commits_started"


@console_required
@require_GET
def census_list(request, org_id: int):
    org = org_visible_or_404(request.user, org_id)
    page = Paginator(census_imports_of(org), 20).get_page(request.GET.get("page"))
    context = {
        "org": org,
        "page": page,
        "progress": census_campaign_progress(org),
        "form": CensusUploadForm(),
        "can_manage": can_manage_org(request.user, org),
    }
    return render(request, "lifecycle/census_list.html", context)


@console_required
# Each list is checked against every stored ID number: uploads are limited per administrator.
@limit_posts(CENSUS_UPLOADS)
@require_http_methods(["GET", "POST"])
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
            return redirect("console_members:census_detail", census.pk)
    return render(request, "lifecycle/census_upload.html", {"org": org, "form": form})


def _commit_announce(request, census: CensusImport) -> None:
    """The success message of a commit this administrator started, once the background job has finished."""
    started = request.session.get(COMMITS_STARTED, [])
    if census.pk not in started or census.status == CensusImport.Status.COMMITTING:
        return
    request.session[COMMITS_STARTED] = [pk for pk in started if pk != census.pk]
    if census.status == CensusImport.Status.COMMITTED:
        messages.success(
            request,
            _("导入完成：%(n)s 人已列入会员名册（待重新登记），重新登记邀请已生成，有邮箱的人员将收到邀请邮件。")
            % {"n": census.imported_rows},
        )


@console_required
@require_GET
def census_detail(request, census_id: int):
    census = census_visible_or_404(request.user, census_id)
    _commit_announce(request, census)
    show = request.GET.get("show", "errors" if census.error_rows else "all")
    rows = census.rows.order_by("row_number")
    if show == "errors":
        rows = census_error_rows(census)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # Rows already imported are people with a profile: seeing them on this page is an access to their data.
    person_access_record(
        viewer=request.user,
        person_ids=Membership.objects.filter(pk__in=[r.membership_id for r in page if r.membership_id]).values_list(
            "person_id", flat=True
        ),
        org=census.org, what=PersonAccess.What.CENSUS, detail=_("普查名单第 %(n)s 页") % {"n": page.number},
    )
    context = {
        "census": census,
        "stage_title": STAGE_TITLES[census.status],
        "org": census.org,
        "page": page,
        "show": show,
        "busy": census.status in (CensusImport.Status.VALIDATING, CensusImport.Status.COMMITTING),
        "stalled": census_services.census_job_stalled(census),
        "stall_minutes": max(1, settings.CENSUS_JOB_STALL_SECONDS // 60),
        "can_manage": can_manage_org(request.user, census.org),
        "progress": census_campaign_progress(census.org) if census.status == CensusImport.Status.COMMITTED else [],
        "reach": census_invitation_reach(census) if census.status == CensusImport.Status.COMMITTED else None,
    }
    return render(request, "lifecycle/census_detail.html", context)


@console_required
@require_GET
def census_status(request, census_id: int):
    census = census_visible_or_404(request.user, census_id)
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
    census = census_managed_or_404(request.user, census_id)
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
    return redirect("console_members:census_detail", census.pk)


@console_required
@require_POST
def census_commit(request, census_id: int):
    census = census_managed_or_404(request.user, census_id)
    try:
        census_services.census_commit_start(actor=request.user, census=census)
    except OutOfScope:
        raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        request.session[COMMITS_STARTED] = [*request.session.get(COMMITS_STARTED, []), census.pk]
    return redirect("console_members:census_detail", census.pk)


@console_required
@require_GET
def census_errors(request, census_id: int):
    census = census_visible_or_404(request.user, census_id)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    content = census_services.census_errors_export(
        actor=request.user, census=census, error_rows=census_error_rows(census), fmt=fmt
    )
    filename = f"{census.org.name}-普查错误报告-{census.pk}.{fmt}"
    return csv_attachment(filename, content) if fmt == "csv" else xlsx_response(filename, content)


@console_required
@require_GET
def census_template(request):
    """The member list to fill in (no personal data: the columns and an example row)."""
    return xlsx_response("会员名单模板.xlsx", census_services.census_template())


def _people_form(request, org, data) -> CensusPeopleFilterForm:
    form = CensusPeopleFilterForm(data, imports=census_imports_committed(org))
    if not form.is_valid() and "census" in form.errors:
        raise Http404  # a tampered import id outside the organisation looks like a missing page
    return form


@console_required
@require_GET
def census_people(request, org_id: int):
    """After the import: the imported people and their re-registration, filtered, exported, invited again."""
    org = org_visible_or_404(request.user, org_id)
    form = _people_form(request, org, request.GET)
    rows = census_people_of(org, **form.selector_kwargs()) if form.is_valid() else census_people_of(org).none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    person_access_record(
        viewer=request.user,
        person_ids=Membership.objects.filter(pk__in=[r.membership_id for r in page if r.membership_id]).values_list(
            "person_id", flat=True
        ),
        org=org, what=PersonAccess.What.CENSUS, detail=_("普查跟进名单第 %(n)s 页") % {"n": page.number},
    )
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "org": org,
        "form": form,
        "page": page,
        "query": filters.urlencode(),
        "can_manage": can_manage_org(request.user, org),
        "progress": census_campaign_progress(org),
    }
    return render(request, "lifecycle/census_people.html", context)


@console_required
@require_GET
@replica_reads
def census_people_export(request, org_id: int):
    org = org_visible_or_404(request.user, org_id)
    form = _people_form(request, org, request.GET)
    if not form.is_valid():
        messages.error(request, _("筛选条件有误，请修改后再导出"))
        return redirect("console_members:census_people", org.pk)
    content = census_services.census_people_export(
        actor=request.user,
        org=org,
        rows=census_people_of(org, **form.selector_kwargs()),
        filters=filters_for_audit(form.cleaned_data),
    )
    return xlsx_response(f"{org.name}-重新登记名单.xlsx", content)


@console_required
@require_POST
def census_resend(request, org_id: int):
    """重新发送邀请: one person (`row`) or everyone pending in the list as filtered (`filters`)."""
    org = org_managed_or_404(request.user, org_id)
    filters = QueryDict(request.POST.get("filters", ""))
    form = _people_form(request, org, filters)
    back = url_with_query(reverse("console_members:census_people", args=[org.pk]), filters)
    if not form.is_valid():
        messages.error(request, _("筛选条件有误，请刷新页面后重试"))
        return redirect(back)
    rows = census_people_of(org, **form.selector_kwargs())
    if request.POST.get("row"):
        row_id = parse_id(request.POST["row"])
        rows = rows.filter(pk=row_id) if row_id else rows.none()
    try:
        emailed, sms_only = census_services.census_invitations_resend(actor=request.user, org=org, rows=rows)
    except OutOfScope:
        raise Http404
    if not emailed and not sms_only:
        messages.info(request, _("没有需要重新发送邀请的人员：所选人员都已完成重新登记或会员资格已终止。"))
    else:
        text = _("已重新发送 %(n)s 份邀请邮件。") % {"n": emailed}
        if sms_only:
            text += _("%(n)s 人没有邮箱，请导出名单，用短信平台发送“短信内容”一列。") % {"n": sms_only}
        messages.success(request, text)
    return redirect(back)


# The ID number is the only proof besides the link: every attempt counts per client address, and wrong ones
# per link, so neither one address nor many can guess.
@referrer_hidden
@limit_posts(ID_NUMBER_CHECKS)
@limit_posts(REREGISTRATION_FAILURES, count=refused)
@require_http_methods(["GET", "POST"])
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
            return redirect(reverse("members:me_fees"))
    return render(request, "lifecycle/claim.html", {"row": row, "form": form, "org": row.membership.org})
