"""The organisation tree page of the console, with member and pending-application counts per organisation."""

from django.shortcuts import render

from approvals.selectors.org_tree import org_tree_with_counts
from orgs.decorators import console_required


@console_required
def org_tree(request):
    orgs = org_tree_with_counts(request.user)
    return render(request, "orgs/tree.html", {"orgs": orgs})
