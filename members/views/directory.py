"""The member directory and a member's page in the console, with the per-member actions. Thin: parse, fetch
through a selector, call one service, render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kexie.db_routing import replica_reads
from kexie.errors import DomainError, OutOfScope
from kexie.excel import filters_for_audit, xlsx_response
from kexie.page_cache import cached_until_write
from members.forms.memberships import (
    FeePaymentForm,
    GradeForm,
    MemberDirectoryForm,
    StatusForm,
    TransferForm,
    UnitLinkForm,
)
from members.models import Membership, PersonAccess
from members.services.access import person_access_record
from members.selectors.directory import (
    directory_pages,
    fellow_places,
    member_directory,
    membership_managed_or_404,
    membership_visible_or_404,
)
from members.selectors.fees import fees_of_person
from members.selectors.units import units_managed_by, units_of
from members.services import fees as fee_services, memberships as membership_services, units as unit_services
from members.signals import member_page_shown, page_context
from orgs.decorators import console_required
from orgs.forms import OrgFilterForm
from orgs.models import AuditEvent
from orgs.selectors.scope import (
    can_manage_org,
    list_scope_org_or_404,
    orgs_granted_directly,
    orgs_managed_by,
    orgs_visible_to,
)

PAGE_SIZE = 50


@console_required
@require_GET
def home(request):
    orgs = orgs_visible_to(request.user).order_by("tree_id", "lft")
    form = OrgFilterForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    if query:
        orgs = orgs.filter(name__contains=query)
    page = Paginator(orgs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lifecycle/home.html", {"page": page, "form": form})


def _directory_form(request) -> MemberDirectoryForm:
    form = MemberDirectoryForm(request.GET, orgs=orgs_visible_to(request.user))
    if not form.is_valid() and form.has_error("org", "invalid_choice"):
        raise Http404  # a tampered org id outside the subtree looks like a missing page; a typed name is answered
    return form


@console_required
@require_GET
@cached_until_write
def member_list(request):
    """The one member directory: visible orgs, filtered; every per-member action is on the detail page."""
    form = _directory_form(request)
    if form.is_valid():
        members = member_directory(request.user, **form.selector_kwargs())
        org = form.cleaned_data["org"]
    else:
        members, org = Membership.objects.none(), None
    page = Paginator(directory_pages(members), PAGE_SIZE).get_page(request.GET.get("page"))
    if org is None and not form.data.get("subtree"):
        own = list(orgs_granted_directly(request.user)[:2])
        org = own[0] if len(own) == 1 else None
    context = {
        "form": form,
        "page": page,
        "fellow_org": org,
        "fellows": fellow_places(org) if org else None,
        "export_query": request.GET.urlencode() if form.is_valid() else "",
    }
    return render(request, "lifecycle/member_list.html", context)


@console_required
@require_GET
@replica_reads
def member_export(request):
    form = _directory_form(request)
    if not form.is_valid():
        messages.error(request, _("筛选条件有误，请修改后再导出"))
        return redirect("console_members:member_list")
    kwargs = form.selector_kwargs()
    scope_org = list_scope_org_or_404(request.user, kwargs["org"])
    content = membership_services.memberships_export(
        actor=request.user,
        memberships=member_directory(request.user, **kwargs),
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
}


def _member_form(key: str, request, membership, data=None):
    auto_id = _MEMBER_FORM_IDS[key]
    if key == "grade_form":
        return GradeForm(data, auto_id=auto_id, initial={"grade": membership.grade, "category": membership.category})
    if key == "unit_form":
        units = units_managed_by(request.user) if data is not None else units_of(membership.org)
        return UnitLinkForm(data, auto_id=auto_id, units=units, initial={"unit": membership.unit_id})
    if key == "fee_form":
        return FeePaymentForm(data, auto_id=auto_id)
    if key == "transfer_form":
        orgs = orgs_managed_by(request.user)
        if data is None:
            orgs = orgs.exclude(pk=membership.org_id).order_by("tree_id", "lft")
        return TransferForm(data, auto_id=auto_id, orgs=orgs)
    return StatusForm(data, auto_id=auto_id)


def _member_page(request, membership, *, bound: dict | None = None, status: int = 200):
    can_manage = can_manage_org(request.user, membership.org)
    context = {
        "m": membership,
        "person": membership.person,
        "can_manage": can_manage,
        "fellows": fellow_places(membership.org),
        "fee_lines": fees_of_person(membership.person, this_year=timezone.localdate().year),
        "events": AuditEvent.objects.for_object(membership).select_related("actor"),
    }
    if can_manage:
        for key in _MEMBER_FORM_IDS:
            context[key] = (bound or {}).get(key) or _member_form(key, request, membership)
        # The recommendation form comes from approvals, which handles its submission.
        context.update(page_context(member_page_shown, Membership, membership=membership, user=request.user))
    context["can_recommend"] = context.get("recommend_form") is not None
    return render(request, "lifecycle/member_detail.html", context, status=status)


@console_required
@require_GET
def member_detail(request, membership_id: int):
    membership = membership_visible_or_404(request.user, membership_id)
    person_access_record(
        viewer=request.user, person_ids=[membership.person_id], org=membership.org, what=PersonAccess.What.PROFILE,
        detail=_("会员详情"),
    )
    return _member_page(request, membership)


def _member_action(request, membership_id, key: str, run, success: str):
    """POST-only member actions: scope first (404), then validate, then the one service call. On an error the
    member page is shown again with the form as it was typed and the reason next to it."""
    membership = membership_managed_or_404(request.user, membership_id)
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
            return redirect("console_members:member_detail", membership.pk)
    membership = membership_visible_or_404(request.user, membership.pk)
    return _member_page(request, membership, bound={key: form}, status=400)


@console_required
@require_POST
def member_grade(request, membership_id: int):
    return _member_action(
        request,
        membership_id,
        "grade_form",
        lambda m, d: membership_services.membership_grade_set(actor=request.user, membership=m, grade=d["grade"], category=d["category"]),
        _("已更新会员等级与类别"),
    )


@console_required
@require_POST
def member_unit(request, membership_id: int):
    return _member_action(
        request,
        membership_id,
        "unit_form",
        lambda m, d: unit_services.membership_unit_link(actor=request.user, membership=m, unit=d["unit"]),
        _("已更新团体会员关联"),
    )


@console_required
@require_POST
def member_fee(request, membership_id: int):
    return _member_action(
        request,
        membership_id,
        "fee_form",
        lambda m, d: fee_services.fee_payment_record(
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
        lambda m, d: membership_services.membership_status_set(actor=request.user, membership=m, status=d["status"], comment=d["comment"]),
        _("已变更会员状态"),
    )


@console_required
@require_POST
def member_transfer(request, membership_id: int):
    membership = membership_managed_or_404(request.user, membership_id)
    form = _member_form("transfer_form", request, membership, request.POST)
    if form.is_valid():
        try:
            new = membership_services.membership_transfer(
                actor=request.user, membership=membership, target_org=form.cleaned_data["target_org"], comment=form.cleaned_data["comment"]
            )
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已转入“%(org)s”，新会员编号 %(number)s") % {"org": new.org.name, "number": new.number})
            return redirect("console_members:member_detail", new.pk)
    membership = membership_visible_or_404(request.user, membership.pk)
    return _member_page(request, membership, bound={"transfer_form": form}, status=400)
