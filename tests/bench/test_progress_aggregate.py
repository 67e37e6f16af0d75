"""The hand-written progress aggregate (the reference of the recompute benchmark) counts what progress counts."""

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import call_command

from approvals import progress
from approvals.models import Application
from bench.benchmarks import progress_sql_aggregate
from bench.loadgen import PERIOD_START
from members.models import Fee, FeePayment, Membership, UnitMember, User
from orgs.figures import COUNT_KEYS
from orgs.models import Org


_JOINED = {"application": "new_members", "census": "existing_registered", "transfer": "transferred_in"}


def _sql_totals(year: int) -> Counter:
    """(org_id, key) totals from the SQL rows, folded with the computation in approvals/progress.py."""
    final = {"approved", "rejected", "withdrawn"}
    totals: Counter = Counter()
    for source, org_id, kind, first, second, flag, handling, n in progress_sql_aggregate(year):
        if source == "application":
            if first is not None:
                totals[(org_id, "received")] += n
                if kind in Application.OPEN_STATUSES:
                    totals[(org_id, "pending")] += n
                    if flag:
                        totals[(org_id, "overdue")] += n
            if second is not None and kind in final:
                totals[(org_id, kind)] += n
                if kind != "withdrawn" and handling is not None:
                    totals[(org_id, "handling_seconds")] += int(handling.total_seconds())
        elif source == "recommendation":
            if first is not None:
                totals[(org_id, "recommendations_made")] += n
            if second is not None:
                totals[(org_id, "recommendations_accepted")] += n
        elif source == "membership":
            if first is not None:
                totals[(org_id, _JOINED[kind])] += n
            if flag:
                totals[(org_id, "members_year_end")] += n
                if second:
                    totals[(org_id, "members_prev_year_end")] += n
        elif source == "unit":
            if first is not None:
                totals[(org_id, "new_unit_members")] += n
            if flag:
                totals[(org_id, "unit_members_year_end")] += n
        else:
            totals[(org_id, "fee_due")] += n
            totals[(org_id, "fee_paid")] += n if first else 0
            totals[(org_id, "fee_exempt")] += n if second else 0
    return +totals


def _units_and_fees(year: int) -> None:
    """A few unit members and charged fees with payments and exemptions (the generated load has none)."""
    admin = User.objects.filter(is_superuser=False).first() or User.objects.create(username="bench-ref")
    orgs = list(Org.objects.order_by("pk")[:3])
    for i, org in enumerate(orgs):
        for joined in (dt.date(year - 1, 5, 1), dt.date(year, 3 + i, 9)):
            UnitMember.objects.create(org=org, name=f"单位{org.pk}-{joined}", uscc=f"91{org.pk:08d}{joined:%m%d}00",
                                      joined_on=joined, created_by=admin)
    live = list(Membership.objects.filter(status="active", joined_on__lt=dt.date(year + 1, 1, 1)).order_by("pk")[:40])
    for org_id, category in {(m.org_id, m.category) for m in live}:
        Fee.objects.create(org_id=org_id, category=category, year=year, amount=50)
    for i, membership in enumerate(live[:20]):
        FeePayment.objects.create(membership=membership, year=year, kind="paid" if i % 3 else "exempt",
                                  amount=50 if i % 3 else 0, paid_on=dt.date(year, 2, 1), recorded_by=admin)


@pytest.mark.postgres
@pytest.mark.django_db
def test_progress_sql_aggregate_matches_the_progress_tallies(hebei):
    call_command("generate_load", applications=400, seed=3, stdout=io.StringIO())
    year = PERIOD_START.year
    _units_and_fees(year)
    orgs = {o.pk: o for o in Org.objects.all()}
    keys = ("received", "pending", "overdue", "approved", "rejected", "withdrawn", "handling_seconds",
            "recommendations_made", "recommendations_accepted", "new_members", "existing_registered",
            "transferred_in", "members_year_end", "members_prev_year_end", "new_unit_members",
            "unit_members_year_end", "fee_due", "fee_paid", "fee_exempt")
    assert set(keys) == set(COUNT_KEYS) - {k for k in COUNT_KEYS if k.startswith("new_members_")}, \
        "the reference counts every stored figure (the per-level new members are folded from new_members)"
    # The generated months lie in one year; the year after holds only the live members carried over.
    for y in (year, year + 1):
        expected = +Counter({
            (org_id, key): tally.counts[key]
            for org_id, tally in progress.own_tallies(y, orgs).items() for key in keys
        })
        assert expected, "the generated load counts in the year"
        for key in ("handling_seconds", "fee_due", "fee_paid", "fee_exempt", "unit_members_year_end"):
            assert y != year or any(k == key for _org, k in expected), f"the data exercise {key}"
        assert _sql_totals(y) == expected
