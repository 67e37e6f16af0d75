"""The review console: queue, detail, decisions, recommendations, evidence downloads and the queue export."""

import mimetypes
from pathlib import Path

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals import services
from approvals.forms import BatchApproveForm, DecisionForm, QueueFilterForm, RecommendForm
from approvals.evidence import evidence_preview_kind
from approvals.models import Application
from approvals.selectors import review as selectors
from kexie.errors import DomainError, OutOfScope
from kexie.downloads import attachment
from kexie.excel import csv_attachment, filters_for_audit
from kexie.page_cache import cached_until_write
from kexie.redirects import url_with_query
from members.models import PersonAccess
from members.selectors.directory import membership_managed_or_404
from members.services.access import person_access_record
from orgs.decorators import console_required
from orgs.selectors.scope import list_scope_org_or_404, orgs_managed_by, orgs_visible_to


PAGE_SIZE = 25

_NON_FILTER_PARAMS = {"page"}


def _filter_data(request, default: dict):
    """The GET filters, or the default view when the page is opened without any filter."""
    if set(request.GET) - _NON_FILTER_PARAMS:
        return request.GET
    return default


def _queue_form(request) -> QueueFilterForm:
    form = QueueFilterForm(
        _filter_data(request, {"status": Application.Status.SUBMITTED}),
        orgs=orgs_visible_to(request.user),
    )
    if not form.is_valid() and form.has_error("org", "invalid_choice"):
        raise Http404  # a tampered org id outside the subtree looks like a missing page; a typed name is answered
    return form


def _queue_page(request, *, batch_form=None, status: int = 200):
    """The queue with the filters of the query string; a refused batch approval comes back here with what was
    typed and why."""
    form = _queue_form(request)
    applications = (
        selectors.ReviewQueue(request.user, **form.selector_kwargs()) if form.is_valid() else Application.objects.none()
    )
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    managed = set(orgs_managed_by(request.user).values_list("pk", flat=True))
    today = timezone.localdate()
    for application in page:
        application.can_decide = application.org_id in managed and application.status == Application.Status.SUBMITTED
        application.overdue = application.is_overdue_on(today)
    context = {
        "form": form,
        "page": page,
        "can_batch": any(a.can_decide for a in page),
        "batch_form": batch_form or BatchApproveForm(),
    }
    return render(request, "approvals/queue.html", context, status=status)


@console_required
@require_GET
@cached_until_write
def queue(request):
    return _queue_page(request)


@console_required
@require_GET
def queue_export(request):
    form = _queue_form(request)
    if not form.is_valid():
        messages.error(request, _("筛选条件有误，请修改后再导出"))
        return redirect("approvals:queue")
    kwargs = form.selector_kwargs()
    scope_org = list_scope_org_or_404(request.user, kwargs["org"])
    content = services.applications_export(
        actor=request.user,
        applications=selectors.applications_for_review(request.user, **kwargs),
        scope_org=scope_org,
        filters=filters_for_audit(form.cleaned_data),
    )
    return csv_attachment(f"{scope_org.name}-审核队列-{timezone.localdate():%Y%m%d}.csv", content)


def _detail_context(request, application: Application, *, decision_form=None, recommend_form=None) -> dict:
    can_decide = selectors.can_decide(request.user, application)
    history = list(selectors.application_history(application))
    awards = list(application.person.awards.all())
    for award in awards:
        award.preview = evidence_preview_kind(award.evidence.name) if award.evidence else ""
    resubmitted = next((e for e in reversed(history) if e.action == "application.resubmit"), None)
    returned = next((e for e in reversed(history) if e.action == "application.return"), None)
    recommendation = selectors.recommendation_state(
        request.user, org=application.org, person=application.person, source_open=application.is_open
    )
    return {
        "application": application,
        "person": application.person,
        "awards": awards,
        "previews": [a for a in awards if a.preview],
        "history": history,
        "membership": selectors.application_membership(application),
        "can_decide": can_decide,
        # The latest resubmission, with the return it answered and what the applicant changed.
        "resubmission": resubmitted,
        "resubmission_return": returned,
        "resubmission_changes": (resubmitted.data or {}).get("changes") if resubmitted else None,
        "recommendation": recommendation,
        "decision_form": decision_form or DecisionForm(meets_criteria=application.meets_criteria),
        "recommend_form": recommend_form or RecommendForm(),
    }


@console_required
@require_GET
def detail(request, application_id: int):
    application = selectors.application_visible_or_404(request.user, application_id)
    person_access_record(
        viewer=request.user, person_ids=[application.person_id], org=application.org, what=PersonAccess.What.PROFILE,
        detail=_("审核入会申请"),
    )
    return render(request, "approvals/detail.html", _detail_context(request, application))


@console_required
@require_POST
def decide(request, application_id: int):
    application = selectors.application_managed_or_404(request.user, application_id)
    form = DecisionForm(request.POST, meets_criteria=application.meets_criteria)
    if not form.is_valid():
        context = _detail_context(request, application, decision_form=form)
        return render(request, "approvals/detail.html", context, status=400)
    data = form.cleaned_data
    try:
        if data["decision"] == DecisionForm.APPROVE:
            membership = services.application_approve(
                application=application,
                reviewer=request.user,
                comment=data["comment"],
                override_reason=data.get("override_reason", ""),
            )
            messages.success(
                request, _("已批准，会员编号 %(number)s") % {"number": membership.number}
            )
        elif data["decision"] == DecisionForm.RETURN:
            services.application_return(application=application, reviewer=request.user, comment=data["comment"])
            messages.success(request, _("已退回申请人修改"))
        else:
            services.application_reject(application=application, reviewer=request.user, comment=data["comment"])
            messages.success(request, _("已作出不予通过的决定"))
    except OutOfScope:
        raise Http404
    except DomainError as exc:
        # Refused (decided meanwhile by someone else, a rule of the domain): the page again, with the reason
        # and, where a decision is still possible, the form as it was typed.
        messages.error(request, exc.message)
        application = selectors.application_managed_or_404(request.user, application.pk)
        context = _detail_context(request, application, decision_form=form)
        return render(request, "approvals/detail.html", context, status=409)
    return redirect("approvals:detail", application.pk)


@console_required
@require_POST
def batch_approve(request):
    """The form posts with the queue's query string, so a refusal shows the same filtered queue again."""
    form = BatchApproveForm(request.POST)
    if not form.is_valid():
        return _queue_page(request, batch_form=form, status=400)
    applications = selectors.applications_managed_or_404(request.user, form.cleaned_data["ids"])
    approved, errors = services.applications_approve_batch(
        application_ids=[a.pk for a in applications], reviewer=request.user, comment=form.cleaned_data["comment"]
    )
    if approved:
        messages.success(request, _("已批准 %(n)d 条申请") % {"n": approved})
    for error in errors:
        messages.error(request, error)
    return redirect(url_with_query(reverse("approvals:queue"), request.GET))


def _recommend(request, *, template_context: dict, person, from_org, source_membership=None, source_application=None):
    form = RecommendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recommendation = services.recommendation_create(
                actor=request.user,
                from_org=from_org,
                person=person,
                opinion=form.cleaned_data["opinion"],
                source_membership=source_membership,
                source_application=source_application,
            )
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("已将 %(name)s 推荐至“%(org)s”") % {"name": person.name, "org": recommendation.to_org.name},
            )
            return None
    return render(
        request,
        "approvals/recommend.html",
        {**template_context, "form": form, "person": person, "from_org": from_org, "to_org": from_org.parent},
    )


@console_required
@require_http_methods(["GET", "POST"])
def recommend_application(request, application_id: int):
    application = selectors.application_managed_or_404(request.user, application_id)
    response = _recommend(
        request,
        template_context={"application": application, "back_url": "approvals:detail", "back_id": application.pk},
        person=application.person,
        from_org=application.org,
        source_application=application,
    )
    return response or redirect("approvals:detail", application.pk)


@console_required
@require_GET
def evidence_download(request, application_id: int, award_id: int):
    application = selectors.application_visible_or_404(request.user, application_id)
    award = selectors.award_of_application_or_404(application, award_id)
    try:
        handle = services.award_evidence_open(actor=request.user, application=application, award=award)
    except DomainError:
        raise Http404
    suffix = Path(award.evidence.name).suffix.lower()
    content_type = mimetypes.guess_type(f"x{suffix}")[0] or "application/octet-stream"
    filename = f"{application.person.name}-证明材料-{award.name}{suffix}"
    return attachment(FileResponse(handle, content_type=content_type), filename)


@console_required
@require_GET
@xframe_options_sameorigin
# The review page frames the file: its own pages may (frame-ancestors), and a PDF needs the browser's viewer,
# which the site-wide policy's object-src 'none' would refuse.
@csp_replace({"frame-ancestors": [SELF], "object-src": [SELF]})
def evidence_view(request, application_id: int, award_id: int):
    """The evidence file shown in the page (PDF or image) rather than saved: the same scope check and audit as
    the download, only for file types a browser displays safely, and only framed by this site's own pages."""
    application = selectors.application_visible_or_404(request.user, application_id)
    award = selectors.award_of_application_or_404(application, award_id)
    kind = evidence_preview_kind(award.evidence.name) if award.evidence else ""
    if not kind:
        raise Http404
    try:
        handle, content_type = services.award_evidence_preview_open(
            actor=request.user, application=application, award=award
        )
    except DomainError:
        raise Http404
    suffix = Path(award.evidence.name).suffix.lower()
    response = FileResponse(handle, content_type=content_type)
    attachment(response, f"{application.person.name}-证明材料-{award.name}{suffix}", inline=True)
    response["X-Content-Type-Options"] = "nosniff"
    # Personal documents: never kept by a shared cache or the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@console_required
@require_http_methods(["GET", "POST"])
def member_recommend(request, membership_id: int):
    membership = membership_managed_or_404(request.user, membership_id)
    response = _recommend(
        request,
        template_context={"membership": membership},
        person=membership.person,
        from_org=membership.org,
        source_membership=membership,
    )
    return response or redirect("console_members:member_detail", membership.pk)
