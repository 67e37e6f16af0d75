"""The annual report (年报) of an organisation: members by grade and category, fees, and recommendations."""

from dataclasses import dataclass

from django.db.models import Count

from approvals.models import Application, Recommendation
from members.models import Membership, UnitMember
from members.selectors.fees import FeeCollection, fee_collection
from members.services.memberships import LIVE_STATUSES
from orgs.models import Org


@dataclass
class AnnualReport:
    org: Org
    year: int
    subtree: bool
    by_grade_category: list[tuple[str, list[int], int]]
    category_labels: list[str]
    category_totals: list[int]
    total_members: int
    new_members: int
    unit_members: int
    recommendations_made: int
    recommendations_accepted: int
    fees: FeeCollection


def annual_report(*, org: Org, year: int, subtree: bool = False) -> AnnualReport:
    """年报 of one org (or its whole subtree) for a year. Membership counts are as of today: members whose
    membership started by the end of that year and is still live."""
    orgs = Org.objects.in_subtree(org) if subtree else Org.objects.filter(pk=org.pk)
    members = Membership.objects.filter(org__in=orgs, status__in=LIVE_STATUSES, joined_on__year__lte=year)
    counts = {(r["grade"], r["category"]): r["n"] for r in members.values("grade", "category").annotate(n=Count("id"))}
    categories = Membership.Category.choices
    table = []
    for grade, grade_label in Membership.Grade.choices:
        cells = [counts.get((grade, c), 0) for c, _label in categories]
        table.append((str(grade_label), cells, sum(cells)))
    recommendations = Recommendation.objects.filter(from_org__in=orgs, created_at__year=year)
    fees = fee_collection(org=org, year=year, subtree=subtree)
    return AnnualReport(
        org=org,
        year=year,
        subtree=subtree,
        by_grade_category=table,
        category_labels=[str(label) for _c, label in categories],
        category_totals=[sum(row[1][i] for row in table) for i in range(len(categories))],
        total_members=sum(row[2] for row in table),
        new_members=Membership.objects.filter(org__in=orgs, joined_on__year=year)
        .exclude(status=Membership.Status.PENDING_REREGISTRATION)
        .count(),
        unit_members=UnitMember.objects.filter(org__in=orgs, status=UnitMember.Status.ACTIVE, joined_on__year__lte=year).count(),
        recommendations_made=recommendations.count(),
        recommendations_accepted=recommendations.filter(application__status=Application.Status.APPROVED).count(),
        fees=fees,
    )
