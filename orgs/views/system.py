"""The 系统管理员's pages: the organisation tree of its subtree and whether each organisation accepts applications.

No page here shows a person, an application or a count of them."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kexie.errors import OutOfScope
from orgs.decorators import officer_required
from orgs.forms import OrgFilterForm
from orgs.models import OfficerRole
from orgs.selectors.accounts import officer_orgs
from orgs.services.tree import org_set_accepting


@officer_required(OfficerRole.SYSTEM)
@require_GET
def system_org_list(request):
    form = OrgFilterForm(request.GET or None)
    orgs = officer_orgs(request.user, OfficerRole.SYSTEM).order_by("tree_id", "lft")
    if form.is_valid() and form.cleaned_data["q"]:
        orgs = orgs.filter(name__contains=form.cleaned_data["q"])
    page = Paginator(orgs, 50).get_page(request.GET.get("page"))
    return render(request, "orgs/system_orgs.html", {"page": page, "form": form})


@officer_required(OfficerRole.SYSTEM)
@require_POST
def system_org_accepting(request, org_id: int, accepting: int):
    org = officer_orgs(request.user, OfficerRole.SYSTEM).filter(pk=org_id).first()
    if org is None:
        raise Http404
    try:
        org_set_accepting(actor=request.user, org=org, accepting=bool(accepting))
    except OutOfScope:
        raise Http404
    messages.success(
        request,
        (_("“%(org)s”已开放入会申请") if accepting else _("“%(org)s”已暂停接受入会申请")) % {"org": org.name},
    )
    return redirect("orgs:system_org_list")
