"""Annual fees: an organisation's fee standards and how to pay, its roster of who owes what with payments
recorded from the list, and a member's own fees."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kexie.errors import DomainError, OutOfScope
from members.forms.fees import FeeForm, FeeInstructionsForm, FeeRecordForm, FeeRosterFilterForm
from members.models import FeePayment
from members.selectors.directory import membership_managed_or_404
from members.selectors.fees import fee_collection, fee_instructions_of, fee_roster, fees_of_person
from members.services import fees as fee_services
from members.services.fees import fee_set as fee_set_service
from orgs.decorators import console_required
from orgs.selectors.scope import can_manage_org, org_managed_or_404, org_visible_or_404

ROSTER_PAGE_SIZE = 50


def _fee_page(request, org, *, form=None, instructions_form=None, status: int = 200):
    year = timezone.localdate().year
    instructions = fee_instructions_of([org.pk]).get(org.pk)
    context = {
        "org": org,
        "fees": org.fees.all(),
        "form": form or FeeForm(initial={"year": year}),
        "instructions": instructions,
        "instructions_form": instructions_form
        or FeeInstructionsForm(auto_id="instructions_%s", initial={"text": instructions.text if instructions else ""}),
        "collection": fee_collection(org=org, year=year),
        "year": year,
        "can_manage": can_manage_org(request.user, org),
    }
    return render(request, "lifecycle/fee_list.html", context, status=status)


@console_required
@require_GET
def fee_list(request, org_id: int):
    return _fee_page(request, org_visible_or_404(request.user, org_id))


@console_required
@require_POST
def fee_set(request, org_id: int):
    org = org_managed_or_404(request.user, org_id)
    form = FeeForm(request.POST)
    if form.is_valid():
        try:
            fee_set_service(actor=request.user, org=org, **form.cleaned_data)
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已保存会费标准"))
            return redirect("console_members:fees", org.pk)
    return _fee_page(request, org, form=form, status=400)


@console_required
@require_POST
def fee_instructions(request, org_id: int):
    org = org_managed_or_404(request.user, org_id)
    form = FeeInstructionsForm(request.POST, auto_id="instructions_%s")
    if form.is_valid():
        try:
            fee_services.fee_instructions_set(actor=request.user, org=org, text=form.cleaned_data["text"])
        except OutOfScope:
            raise Http404
        messages.success(request, _("已保存缴费方式，会员可在“我的会费”页面看到"))
        return redirect("console_members:fees", org.pk)
    return _fee_page(request, org, instructions_form=form, status=400)


# --- the roster: who owes what for a year, with payments recorded from the list ------------------------------


def _roster_page(request, org, filters: QueryDict, *, record_form=None, status: int = 200):
    form = FeeRosterFilterForm(filters)
    data = form.cleaned_data if form.is_valid() else {}
    year = data.get("year") or timezone.localdate().year
    rows = fee_roster(org, year=year, state=data.get("state") or "", search=data.get("q") or "")
    page = Paginator(rows, ROSTER_PAGE_SIZE).get_page(filters.get("page"))
    query = filters.copy()
    query.pop("page", None)
    context = {
        "org": org,
        "form": form,
        "year": year,
        "page": page,
        "query": query.urlencode(),
        "collection": fee_collection(org=org, year=year),
        "can_manage": can_manage_org(request.user, org),
        "record_form": record_form,
        "failed_membership": record_form["membership"].value() if record_form is not None else None,
    }
    return render(request, "lifecycle/fee_roster.html", context, status=status)


@console_required
def fee_members(request, org_id: int):
    return _roster_page(request, org_visible_or_404(request.user, org_id), request.GET)


@console_required
@require_POST
def fee_record(request, org_id: int):
    """Record one member's payment or exemption from the roster, and come back to the roster as it was filtered."""
    org = org_managed_or_404(request.user, org_id)
    filters = QueryDict(request.POST.get("filters", ""))
    # The fields carry the row's ids, so the error summary's links reach the reason box of that member's row.
    row = request.POST.get("membership", "")
    form = FeeRecordForm(request.POST, auto_id=f"record-{row}-%s" if row.isdigit() else "record-%s")
    if form.is_valid():
        data = form.cleaned_data
        membership = membership_managed_or_404(request.user, data["membership"])
        if membership.org_id != org.pk:
            raise Http404
        try:
            fee_services.fee_payment_record(
                actor=request.user, membership=membership, year=data["year"], kind=data["kind"], note=data["note"]
            )
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            done = _("已登记 %(name)s %(year)s 年度会费：%(kind)s") % {
                "name": membership.person.name,
                "year": data["year"],
                "kind": FeePayment.Kind(data["kind"]).label,
            }
            messages.success(request, done)
            url = reverse("console_members:fee_members", args=[org.pk])
            return redirect(f"{url}?{filters.urlencode()}" if filters else url)
    return _roster_page(request, org, filters, record_form=form, status=400)


@login_required
@require_GET
def me_fees(request):
    person = getattr(request.user, "person", None)
    lines = fees_of_person(person, this_year=timezone.localdate().year) if person else []
    instructions = fee_instructions_of({line.membership.org_id for line in lines})
    for line in lines:
        line.instructions = instructions.get(line.membership.org_id)
    owing = [line for line in lines if line.is_owing]
    return render(request, "lifecycle/me_fees.html", {"lines": lines, "owing": owing})
