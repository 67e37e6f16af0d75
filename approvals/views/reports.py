"""The annual report (年报) of an organisation, on screen and as Excel."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from approvals.selectors.reports import annual_report
from approvals.services import annual_report_export
from kexie.excel import xlsx_response
from orgs.decorators import console_required
from orgs.selectors.scope import org_visible_or_404


def _report_for(request, org_id: int, year: int):
    org = org_visible_or_404(request.user, org_id)
    if not 2000 <= year <= 2100:
        raise Http404
    return annual_report(org=org, year=year, subtree=request.GET.get("scope") == "subtree")


@console_required
@require_GET
def report(request, org_id: int, year: int):
    return render(request, "lifecycle/report.html", {"r": _report_for(request, org_id, year), "org_id": org_id})


@console_required
@require_GET
def report_xlsx(request, org_id: int, year: int):
    r = _report_for(request, org_id, year)
    content = annual_report_export(actor=request.user, report=r)
    return xlsx_response(f"{r.org.name}-{year}年报.xlsx", content)
