"""The annual report (年报) of an organisation, on screen and as Excel."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from approvals.selectors.reports import annual_report
from approvals.services import annual_report_export
from kexie.db_routing import replica_reads
from kexie.excel import xlsx_response
from orgs.decorators import console_required
from orgs.selectors.progress import progress_years
from orgs.selectors.scope import org_visible_or_404

YEARS = range(2000, 2101)


def _report_for(request, org_id: int, year: int):
    org = org_visible_or_404(request.user, org_id)
    if year not in YEARS:
        raise Http404
    return annual_report(org=org, year=year, subtree=request.GET.get("scope") == "subtree")


@console_required
@require_GET
@replica_reads
def report(request, org_id: int, year: int):
    org_visible_or_404(request.user, org_id)
    picked = request.GET.get("year", "")
    if picked.isdigit() and int(picked) in YEARS and int(picked) != year:
        # The year picker submits ?year=; the report's address carries the year.
        scope = "?scope=subtree" if request.GET.get("scope") == "subtree" else ""
        return redirect(reverse("approvals:report", args=[org_id, int(picked)]) + scope)
    r = _report_for(request, org_id, year)
    return render(request, "lifecycle/report.html", {"r": r, "org_id": org_id, "years": progress_years(year)})


@console_required
@require_GET
@replica_reads
def report_xlsx(request, org_id: int, year: int):
    r = _report_for(request, org_id, year)
    content = annual_report_export(actor=request.user, report=r)
    return xlsx_response(f"{r.org.name}-{year}年报.xlsx", content)
