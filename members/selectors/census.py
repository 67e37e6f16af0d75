"""Census imports in scope, their error rows, and the re-registration campaign's progress."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from members.models import CensusImport, CensusRow
from orgs.models import Org
from orgs.selectors.scope import orgs_managed_by, orgs_visible_to


def census_imports_of(org: Org) -> QuerySet[CensusImport]:
    return CensusImport.objects.filter(org__in=Org.objects.in_subtree(org)).select_related("org", "uploaded_by")


def census_visible_or_404(user, census_id) -> CensusImport:
    try:
        return CensusImport.objects.filter(org__in=orgs_visible_to(user)).select_related("org").get(pk=census_id)
    except (CensusImport.DoesNotExist, ValueError, TypeError):
        raise Http404


def census_managed_or_404(user, census_id) -> CensusImport:
    try:
        return CensusImport.objects.filter(org__in=orgs_managed_by(user)).select_related("org").get(pk=census_id)
    except (CensusImport.DoesNotExist, ValueError, TypeError):
        raise Http404


def census_error_rows(census: CensusImport) -> QuerySet[CensusRow]:
    return CensusRow.objects.filter(census=census).exclude(errors=[]).order_by("row_number")


@dataclass(frozen=True)
class CampaignProgress:
    org: Org
    imported: int
    reregistered: int

    @property
    def pending(self) -> int:
        return self.imported - self.reregistered


def census_campaign_progress(org: Org) -> list[CampaignProgress]:
    """Per org of the subtree that imported a list: imported, re-registered and still pending."""
    rows = (
        CensusRow.objects.filter(census__org__in=Org.objects.in_subtree(org), membership__isnull=False)
        .values("census__org")
        .annotate(imported=Count("id"), reregistered=Count("id", filter=Q(claimed_at__isnull=False)))
    )
    orgs = Org.objects.in_subtree(org).in_bulk([r["census__org"] for r in rows])
    result = [
        CampaignProgress(org=orgs[r["census__org"]], imported=r["imported"], reregistered=r["reregistered"]) for r in rows
    ]
    return sorted(result, key=lambda p: p.org.lft)
