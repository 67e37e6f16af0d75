"""Unit members (团体会员) of an organisation in the console."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kexie.errors import DomainError, OutOfScope
from members.forms.units import UnitMemberForm
from members.selectors.units import units_of
from members.services.units import unit_member_create
from orgs.decorators import console_required
from orgs.selectors.scope import can_manage_org, org_managed_or_404, org_visible_or_404

PAGE_SIZE = 50


@console_required
@require_GET
def unit_list(request, org_id: int):
    org = org_visible_or_404(request.user, org_id)
    page = Paginator(units_of(org), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lifecycle/unit_list.html", {"org": org, "page": page, "can_manage": can_manage_org(request.user, org)})


@console_required
@require_http_methods(["GET", "POST"])
def unit_create(request, org_id: int):
    org = org_managed_or_404(request.user, org_id)
    form = UnitMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit_member_create(actor=request.user, org=org, **form.cleaned_data)
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已登记团体会员"))
            return redirect("console_members:units", org.pk)
    return render(request, "lifecycle/unit_form.html", {"org": org, "form": form})
