"""The organisation tree page of the console, with member and pending-application counts per organisation."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from approvals.selectors.org_tree import org_tree_with_counts
from orgs.decorators import console_required


@console_required
@require_GET
def org_tree(request):
    orgs = org_tree_with_counts(request.user)
    return render(request, "orgs/tree.html", {"orgs": orgs})
