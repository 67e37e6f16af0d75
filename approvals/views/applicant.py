"""The applicant's application pages: choose an organisation, apply (with the eligibility checklist), and
follow, resubmit or withdraw one's applications. Every application is fetched from the signed-in user's own
person, so another person's id answers 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals.eligibility import all_met, eligibility_check
from approvals.forms import ApplicationForm, OrgSearchForm, ResubmitForm
from approvals.models import Application
from approvals.selectors.applicant import (
    application_of_or_404,
    application_timeline,
    applications_of,
    org_accepting_or_404,
    org_browse,
    orgs_search,
)
from approvals.services import application_resubmit, application_submit, application_withdraw
from kexie.errors import DomainError
from members.selectors.people import applicant_on_the_way, applicant_steps, person_for
from members.services.consent import consent_live
from members.services.people import profile_missing_fields

PAGE_SIZE = 20


@login_required
@require_GET
def org_choose(request):
    form = OrgSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    context = {"form": form, "query": query}
    if applicant_on_the_way(person_for(request.user)):
        context["steps"] = applicant_steps("choose")
    if query:
        context["page"] = Paginator(orgs_search(query), PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        parent, ancestors, children = org_browse(request.GET.get("parent"))
        context.update(parent=parent, ancestors=ancestors)
        context["page"] = Paginator(children, PAGE_SIZE * 5).get_page(request.GET.get("page"))
    return render(request, "members/org_choose.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def apply(request, org_id):
    org = org_accepting_or_404(org_id)
    person = person_for(request.user)
    consented = consent_live(request.user) is not None
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
            messages.success(
                request,
                _("申请已提交，申请编号 %(reference)s。请等待“%(org)s”审核。")
                % {"reference": application.reference, "org": org.name},
            )
            return redirect("applications:application_detail", application.pk)
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
            "steps": applicant_steps("submit") if applicant_on_the_way(person) else None,
        },
    )


@login_required
@require_GET
def application_list(request):
    person = person_for(request.user)
    page = Paginator(applications_of(person), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/application_list.html", {"page": page})


@login_required
@require_GET
def application_detail(request, pk):
    person = person_for(request.user)
    application = application_of_or_404(person, pk)
    return render(
        request,
        "members/application_detail.html",
        {
            "application": application,
            "timeline": application_timeline(application),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_resubmit_view(request, pk):
    person = person_for(request.user)
    application = application_of_or_404(person, pk)
    if application.status != Application.Status.RETURNED:
        messages.error(request, _("只有被退回修改的申请可以重新提交。"))
        return redirect("applications:application_detail", application.pk)
    form = ResubmitForm(request.POST or None, initial={"explanation": application.explanation})
    if request.method == "POST" and form.is_valid():
        try:
            application_resubmit(application=application, person=person, explanation=form.cleaned_data["explanation"])
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("申请已重新提交。"))
            return redirect("applications:application_detail", application.pk)
    criteria = eligibility_check(person, application.org.level)
    return render(
        request,
        "members/application_resubmit.html",
        {"application": application, "form": form, "criteria": criteria, "missing": profile_missing_fields(person)},
    )


@login_required
@require_POST
def application_withdraw_view(request, pk):
    person = person_for(request.user)
    application = application_of_or_404(person, pk)
    try:
        application_withdraw(application=application, person=person)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("申请已撤回。"))
    return redirect("applications:application_detail", application.pk)
