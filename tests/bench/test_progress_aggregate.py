"""The hand-written progress aggregate (the reference of the recompute benchmark) counts what progress counts."""

import io
from collections import Counter

import pytest
from django.core.management import call_command

from approvals import progress
from approvals.models import Application
from bench.benchmarks import progress_sql_aggregate
from bench.loadgen import PERIOD_START
from orgs.models import Org


def _sql_totals(year: int) -> Counter:
    """(org_id, key) totals from the SQL rows, folded with the computation in approvals/progress.py."""
    final = {"approved", "rejected", "withdrawn"}
    totals: Counter = Counter()
    for source, org_id, status, first, second, n in progress_sql_aggregate(year):
        if source == "application":
            if first is not None:
                totals[(org_id, "received")] += n
                if status in Application.OPEN_STATUSES:
                    totals[(org_id, "pending")] += n
            if second is not None and status in final:
                totals[(org_id, status)] += n
        elif source == "recommendation":
            if first is not None:
                totals[(org_id, "recommendations_made")] += n
            if second is not None:
                totals[(org_id, "recommendations_accepted")] += n
        else:
            if first is not None:
                totals[(org_id, "new_members")] += n
            if status == "live":
                totals[(org_id, "members_year_end")] += n
                if second:
                    totals[(org_id, "members_prev_year_end")] += n
    return +totals


@pytest.mark.postgres
@pytest.mark.django_db
def test_progress_sql_aggregate_matches_the_progress_tallies(hebei):
    call_command("generate_load", applications=400, seed=3, stdout=io.StringIO())
    orgs = {o.pk: o for o in Org.objects.all()}
    keys = ("received", "pending", "approved", "rejected", "withdrawn", "recommendations_made",
            "recommendations_accepted", "new_members", "members_year_end", "members_prev_year_end")
    # The generated months lie in one year; the year after holds only the live members carried over.
    year = PERIOD_START.year
    for y in (year, year + 1):
        expected = +Counter({
            (org_id, key): tally.counts[key]
            for org_id, tally in progress.own_tallies(y, orgs).items() for key in keys
        })
        assert expected, "the generated load counts in the year"
        assert _sql_totals(y) == expected
