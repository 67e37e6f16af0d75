"""The annual report (年报) of an organisation: every figure of the year, counted live through the same sources
and definitions as the progress snapshots, members by grade and category, and the year's targets."""

from dataclasses import dataclass

from django.db.models import Count

from approvals.progress import figures_count
from members.models import Membership
from members.services.memberships import LIVE_STATUSES
from orgs.figures import Figures, completion, lag_badge
from orgs.models import Org
from orgs.selectors.progress import MetricCell, targets_of


@dataclass
class AnnualReport:
    org: Org
    year: int
    subtree: bool
    # The figures of the chosen scope (the org, or the org with everything below it).
    figures: Figures
    by_grade_category: list[tuple[str, list[int], int]]
    category_labels: list[str]
    category_totals: list[int]
    # The org's targets for the year and how far along they are (empty: no targets set).
    targets: dict[str, MetricCell]

    @property
    def total_members(self) -> int:
        return self.figures["members_year_end"]


def annual_report(*, org: Org, year: int, subtree: bool = False) -> AnnualReport:
    """年报 of one org (or its whole subtree) for a year, counted now. Membership counts are as of today:
    members whose membership started by the end of that year and is still live."""
    own, whole = figures_count(org=org, year=year)
    orgs = Org.objects.in_subtree(org) if subtree else Org.objects.filter(pk=org.pk)
    members = Membership.objects.filter(org__in=orgs, status__in=LIVE_STATUSES, joined_on__year__lte=year)
    counts = {(r["grade"], r["category"]): r["n"] for r in members.values("grade", "category").annotate(n=Count("id"))}
    categories = Membership.Category.choices
    table = []
    for grade, grade_label in Membership.Grade.choices:
        cells = [counts.get((grade, c), 0) for c, _label in categories]
        table.append((str(grade_label), cells, sum(cells)))
    reached = completion(org, targets_of([org.pk], year).get(org.pk, {}), own, whole)
    return AnnualReport(
        org=org,
        year=year,
        subtree=subtree,
        figures=whole if subtree else own,
        by_grade_category=table,
        category_labels=[str(label) for _c, label in categories],
        category_totals=[sum(row[1][i] for row in table) for i in range(len(categories))],
        targets={
            metric: MetricCell(item["target"], item["actual"], item["ratio"], lag_badge(item["ratio"], year))
            for metric, item in reached.items()
        },
    )
