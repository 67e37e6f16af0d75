"""Annual fees: an organisation's fee page in the console, and a member's own fees."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kexie.errors import DomainError, OutOfScope
from members.forms.fees import FeeForm
from members.selectors.fees import fee_collection, fees_of_person
from members.services.fees import fee_set as fee_set_service
from orgs.decorators import console_required
from orgs.selectors.scope import can_manage_org, org_managed_or_404, org_visible_or_404


def _fee_page(request, org, *, form=None, status: int = 200):
    year = timezone.localdate().year
    context = {
        "org": org,
        "fees": org.fees.all(),
        "form": form or FeeForm(initial={"year": year}),
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


@login_required
@require_GET
def me_fees(request):
    person = getattr(request.user, "person", None)
    lines = fees_of_person(person, this_year=timezone.localdate().year) if person else []
    return render(request, "lifecycle/me_fees.html", {"lines": lines})
