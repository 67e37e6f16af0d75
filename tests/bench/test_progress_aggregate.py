"""The hand-written progress aggregate (the reference of the recompute benchmark) counts every row once."""

import io
from collections import Counter

import pytest
from django.core.management import call_command

from approvals.models import Application, Recommendation
from bench.benchmarks import progress_sql_aggregate
from members.models import Membership


@pytest.mark.postgres
@pytest.mark.django_db
def test_progress_sql_aggregate_matches_the_orm_counts(hebei):
    call_command("generate_load", applications=300, seed=3, stdout=io.StringIO())
    totals = Counter()
    by_org_status = Counter()
    for source, org_id, status, month, n in progress_sql_aggregate():
        assert month is not None
        totals[source] += n
        if source == "application":
            by_org_status[(org_id, status)] += n
    assert totals == {
        "application": Application.objects.count(),
        "membership": Membership.objects.count(),
        "recommendation": Recommendation.objects.count(),
    }
    assert by_org_status == Counter(Application.objects.values_list("org_id", "status"))
