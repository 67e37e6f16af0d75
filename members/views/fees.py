"""Annual fees: an organisation's fee standards and how to pay, its roster of who owes what with payments
recorded from the list, and a member's own fees."""

import mimetypes
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kexie.downloads import attachment, file_download
from kexie.errors import DomainError, OutOfScope
from members.forms.fees import (
    DuesPaymentForm,
    DuesRejectForm,
    FeeForm,
    FeeInstructionsForm,
    FeeRecordForm,
    FeeRosterFilterForm,
    RenewalWindowForm,
)
from members.models import FeePayment
from members.selectors.certificates import membership_of_user_or_404
from members.selectors.directory import membership_managed_or_404
from members.selectors.fees import (
    dues_payment_managed_or_404,
    dues_payment_visible_or_404,
    dues_payments_decided,
    dues_payments_to_confirm,
    fee_figures,
    fee_instructions_of,
    fee_roster,
    fees_of_person,
    receipt_of_user_or_404,
    receipt_visible_or_404,
)
from members.selectors.renewals import renewals_of_person, window_of
from members.services import fees as fee_services, payments, renewals
from members.services.fees import fee_set as fee_set_service
from orgs.decorators import console_required
from orgs.selectors.scope import can_manage_org, org_managed_or_404, org_visible_or_404

ROSTER_PAGE_SIZE = 50


def _fee_page(request, org, *, form=None, window_form=None, instructions_form=None, status: int = 200):
    year = timezone.localdate().year
    window = window_of(org)
    instructions = fee_instructions_of([org.pk]).get(org.pk)
    context = {
        "window": window,
        "window_dates": window.dates(year),
        "window_form": window_form or RenewalWindowForm(initial={
            "opens_month": window.opens[0], "opens_day": window.opens[1],
            "closes_month": window.closes[0], "closes_day": window.closes[1],
        }),
        "org": org,
        "fees": org.fees.all(),
        "form": form or FeeForm(initial={"year": year}),
        "instructions": instructions,
        "instructions_form": instructions_form
        or FeeInstructionsForm(auto_id="instructions_%s", initial={"text": instructions.text if instructions else ""}),
        "collection": fee_figures(org=org, year=year),
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
        "collection": fee_figures(org=org, year=year),
        "can_manage": can_manage_org(request.user, org),
        "record_form": record_form,
        "failed_membership": record_form["membership"].value() if record_form is not None else None,
    }
    return render(request, "lifecycle/fee_roster.html", context, status=status)


@console_required
@require_GET
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
    owing = [line for line in lines if line.can_pay]
    return render(request, "lifecycle/me_fees.html", {"lines": lines, "owing": owing})


# --- dues: the member reports a payment, the organisation confirms it, the receipt ---------------------------


@login_required
@require_http_methods(["GET", "POST"])
def me_fee_pay(request, membership_id: int, year: int):
    membership = membership_of_user_or_404(request.user, membership_id)
    # Up to next year: inside the renewal window (from 1 Nov by default) members pay the coming year's fee.
    line = next((l for l in fees_of_person(membership.person, this_year=timezone.localdate().year + 1)
                 if l.membership.pk == membership.pk and l.year == year), None)
    if line is None:
        raise Http404
    form = DuesPaymentForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                payments.payment_submit(
                    person=membership.person,
                    membership=membership,
                    year=year,
                    method=form.cleaned_data["method"],
                    proof=form.cleaned_data.get("proof"),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("已提交，组织确认后将为您开具电子收据"))
                return redirect("members:me_fees")
        status = 400
    context = {"line": line, "form": form, "instructions": fee_instructions_of([membership.org_id]).get(membership.org_id)}
    return render(request, "lifecycle/me_fee_pay.html", context, status=status)


def _receipt_response(request, receipt) -> HttpResponse:
    content = payments.receipt_render(actor=request.user, receipt=receipt)
    return file_download(content, filename=f"会费收据-{receipt.number}.pdf", content_type="application/pdf", inline=True)


@login_required
@require_GET
def me_receipt(request, receipt_id: int):
    return _receipt_response(request, receipt_of_user_or_404(request.user, receipt_id))


@console_required
@require_GET
def dues_list(request, org_id: int):
    org = org_visible_or_404(request.user, org_id)
    return _dues_page(request, org)


def _dues_page(request, org, *, reject_forms=None, status: int = 200):
    pending = list(dues_payments_to_confirm(org))
    reject_forms = reject_forms or {}
    for payment in pending:
        payment.reject_form = reject_forms.get(payment.pk) or DuesRejectForm(prefix=f"p{payment.pk}")
    context = {
        "org": org,
        "pending": pending,
        "decided": dues_payments_decided(org),
        "can_manage": can_manage_org(request.user, org),
    }
    return render(request, "lifecycle/dues_list.html", context, status=status)


@console_required
@require_GET
def dues_proof(request, payment_id: int):
    payment = dues_payment_visible_or_404(request.user, payment_id)
    try:
        handle = payments.payment_proof_open(actor=request.user, payment=payment)
    except DomainError:
        raise Http404
    suffix = Path(payment.proof.name).suffix.lower()
    response = FileResponse(handle, content_type=mimetypes.guess_type(f"x{suffix}")[0] or "application/octet-stream")
    return attachment(response, f"{payment.membership.person.name}-{payment.year}年会费转账凭证{suffix}")


@console_required
@require_POST
def dues_confirm(request, payment_id: int):
    payment = dues_payment_managed_or_404(request.user, payment_id)
    try:
        receipt = payments.payment_confirm(actor=request.user, payment=payment)
    except OutOfScope:
        raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认，电子收据编号 %(number)s") % {"number": receipt.number})
    return redirect("console_members:dues", payment.membership.org_id)


@console_required
@require_POST
def dues_reject(request, payment_id: int):
    payment = dues_payment_managed_or_404(request.user, payment_id)
    form = DuesRejectForm(request.POST, prefix=f"p{payment.pk}")
    if form.is_valid():
        try:
            payments.payment_reject(actor=request.user, payment=payment, reason=form.cleaned_data["reason"])
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已退回，并已通知会员"))
        return redirect("console_members:dues", payment.membership.org_id)
    return _dues_page(request, payment.membership.org, reject_forms={payment.pk: form}, status=400)


@console_required
@require_GET
def receipt_download(request, receipt_id: int):
    return _receipt_response(request, receipt_visible_or_404(request.user, receipt_id))


# --- the membership year: the member's renewal, the organisation's window --------------------------------------


@login_required
@require_GET
def me_renewal(request):
    person = getattr(request.user, "person", None)
    lines = renewals_of_person(person, today=timezone.localdate()) if person else []
    fees = {(l.membership.pk, l.year): l for l in fees_of_person(person, this_year=timezone.localdate().year + 1)} if person else {}
    for line in lines:
        line.fee_line = fees.get((line.membership.pk, line.year))
    return render(request, "lifecycle/me_renewal.html", {"lines": lines, "person": person})


@login_required
@require_POST
def me_renewal_confirm(request, membership_id: int):
    membership = membership_of_user_or_404(request.user, membership_id)
    if not request.POST.get("confirm"):
        messages.error(request, _("请勾选“我已核对个人资料，信息准确无误”"))
        return redirect("members:me_renewal")
    try:
        renewal = renewals.membership_renew(person=membership.person, membership=membership)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("members:me_renewal")
    if renewal.completed_at:
        messages.success(request, _("%(year)s 年度注册已完成") % {"year": renewal.year})
        return redirect("members:me_renewal")
    messages.success(request, _("已确认个人资料，请缴纳 %(year)s 年度会费，组织确认收款后年度注册即完成") % {"year": renewal.year})
    return redirect("members:me_fee_pay", membership.pk, renewal.year)


@console_required
@require_POST
def renewal_window_set(request, org_id: int):
    org = org_managed_or_404(request.user, org_id)
    form = RenewalWindowForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            renewals.renewal_window_set(
                actor=request.user, org=org,
                opens=(data["opens_month"], data["opens_day"]), closes=(data["closes_month"], data["closes_day"]),
            )
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已保存年度注册期"))
            return redirect("console_members:fees", org.pk)
    return _fee_page(request, org, window_form=form, status=400)
