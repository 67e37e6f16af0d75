"""One definition of every figure: the snapshot (bulk count, rolled up the tree, partly incremental) and the
annual report (a live count of one org or subtree) give the same value for every figure of every organisation;
each figure has its label, definition and rule, and the definitions page shows them."""

import random

import pytest
import time_machine

from approvals.models import Application
from approvals.progress import progress_recompute_all, progress_recompute_dirty
from approvals.selectors.reports import annual_report
from members.models import Membership, UnitMember
from orgs.figures import BY_KEY, COUNT_KEYS, DERIVED, FIGURES, MONTHLY_KEYS, TARGET_DEFINITIONS, Figures, Tally
from orgs.models import Org, ProgressDirtyMark, ProgressSnapshot, Target
from orgs.services.progress import progress_mark_dirty
from orgs.services.targets import targets_seed
from tests.approvals.progress_dataset import AS_OF, YEARS, defer_recounts, generate


def test_every_figure_has_a_label_a_definition_and_the_rule_it_measures():
    assert len(BY_KEY) == len(FIGURES), "keys are unique"
    for figure in FIGURES:
        assert str(figure.label) and str(figure.definition).endswith("。") and str(figure.rule), figure.key
    assert set(DERIVED) == {f.key for f in FIGURES if f.derived}
    assert {"existing_registered", "transferred_in", "fee_collection_rate", "avg_handling_days", "overdue",
            "member_growth_pct", "members_year_end", "decided"} <= set(BY_KEY)


def test_derived_figures_follow_their_definitions():
    figures = Figures({"approved": 3, "rejected": 1, "handling_seconds": 4 * 86400 * 2.5, "members_prev_year_end": 40,
                       "members_year_end": 46, "fee_due": 8, "fee_paid": 5, "fee_exempt": 1})
    assert figures["decided"] == 4
    assert figures["avg_handling_days"] == 2.5
    assert figures["member_growth_pct"] == 15.0
    assert figures["fee_collection_rate"] == 75.0
    empty = Figures()
    assert empty["avg_handling_days"] is None and empty["member_growth_pct"] is None
    assert empty["fee_collection_rate"] is None, "nobody owes a fee: no rate, not 0%"


def test_figures_from_a_tally_equal_figures_from_its_counts_and_do_not_follow_later_changes():
    tally = Tally.empty()
    tally.counts.update(approved=3, rejected=1, members_year_end=46, members_prev_year_end=40)
    tally.monthly["approved"][2] = 3
    fast = Figures.from_tally(tally)
    built = Figures(tally.counts, tally.monthly)
    assert fast.as_dict() == built.as_dict() and fast.monthly("approved") == built.monthly("approved")
    tally.counts["approved"] += 10
    tally.monthly["approved"][2] += 10
    assert fast["approved"] == 3 and fast.monthly("approved")[2] == 3, "a tally still being summed"
    partial = Figures.from_tally(Tally(counts={"approved": 2}, monthly={}))
    assert partial["approved"] == 2 and partial["rejected"] == 0 and partial.monthly("received") == [0] * 12


@pytest.fixture
def dataset(hebei, make_applicant, make_members, province_admin, django_capture_on_commit_callbacks, monkeypatch):
    """A random dataset counted in full, then changed again and recounted incrementally from the marks."""
    defer_recounts(monkeypatch)
    rng = random.Random(20261130)
    orgs = list(Org.objects.order_by("pk"))
    with time_machine.travel(AS_OF, tick=False):
        for year in YEARS:
            targets_seed(year=year)
        Target.objects.create(org=Org.objects.get(name="石家庄市科学技术协会"), year=2026, metric="unit_members", value=3)
        with django_capture_on_commit_callbacks(execute=True):
            generate(rng, orgs, make_applicant=make_applicant, make_members=make_members, reviewer=province_admin,
                     n_people=100)
        assert progress_recompute_all(years=YEARS)
        ProgressDirtyMark.objects.all().delete()
        with django_capture_on_commit_callbacks(execute=True):
            generate(rng, orgs, make_applicant=make_applicant, make_members=make_members, reviewer=province_admin,
                     n_people=30)
        # The generator re-dates rows after the services ran; mark their orgs as the services would have.
        for model in (Application, Membership, UnitMember):
            progress_mark_dirty(org_ids=model.objects.values_list("org_id", flat=True).distinct())
        assert progress_recompute_dirty()
        yield orgs


@pytest.mark.django_db
def test_every_figure_of_every_org_is_the_same_in_the_snapshot_and_the_annual_report(dataset):
    """Every figure (stored and derived), every monthly series and every target, for every organisation, both
    years and both scopes: the snapshot the dashboards read equals the annual report's live count."""
    snapshots = {(s.org_id, s.year, s.scope): s for s in ProgressSnapshot.objects.all()}
    seen = dict.fromkeys(BY_KEY, 0)
    with time_machine.travel(AS_OF, tick=False):
        for org in dataset:
            for year in YEARS:
                for scope in ("own", "subtree"):
                    report = annual_report(org=org, year=year, subtree=scope == "subtree")
                    snapshot = Figures.from_snapshot(snapshots[(org.pk, year, scope)])
                    for figure in FIGURES:
                        assert report.figures[figure.key] == snapshot[figure.key], (org.name, year, scope, figure.key)
                        seen[figure.key] += bool(report.figures[figure.key])
                    for key in MONTHLY_KEYS:
                        assert report.figures.monthly(key) == snapshot.monthly(key), (org.name, year, scope, key)
                    assert sum(total for _label, _cells, total in report.by_grade_category) == report.total_members
                completion = snapshots[(org.pk, year, "subtree")].completion
                assert {m: (c.target, c.actual, c.ratio) for m, c in report.targets.items()} == {
                    m: (c["target"], c["actual"], c["ratio"]) for m, c in completion.items()
                }, (org.name, year)
    # The Hebei tree has no national root, so nobody is admitted at the national level in it.
    cannot_occur = set() if Org.objects.filter(level=Org.Level.NATIONAL).exists() else {"new_members_national_level"}
    assert not [key for key, n in seen.items() if n == 0 and key not in cannot_occur], (
        "the dataset gives every figure a value somewhere"
    )


@pytest.mark.django_db
def test_census_imports_and_transfers_are_never_new_members(county_a, county_b, admin_a, city_admin, make_applicant,
                                                            make_members, django_capture_on_commit_callbacks):
    """井陉: two approvals and five census imports give 新增 2 and 存量会员登记 5 on every page, and a transfer
    counts as 转入, not as new, in the receiving county."""
    from approvals import services as approvals
    from django.utils import timezone
    from members.services.memberships import membership_transfer

    year = timezone.localdate().year
    Target.objects.create(org=county_a, year=year, metric="new_members", value=80)
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("甲", "乙"):
            application = approvals.application_submit(person=make_applicant(name), org=county_a, declaration_accepted=True)
            approvals.application_approve(application=application, reviewer=admin_a)
        make_members(county_a, 5, status="pending_rereg", origin=Membership.Origin.CENSUS)
        mover = Membership.objects.filter(org=county_a, origin="application").first()
        membership_transfer(actor=city_admin, membership=mover, target_org=county_b)
    progress_recompute_all(years=[year])
    a = Figures.from_snapshot(ProgressSnapshot.objects.get(org=county_a, year=year, scope="own"))
    b = Figures.from_snapshot(ProgressSnapshot.objects.get(org=county_b, year=year, scope="own"))
    assert (a["approved"], a["new_members"], a["existing_registered"]) == (2, 2, 5)
    assert (b["new_members"], b["transferred_in"]) == (0, 1)
    report = annual_report(org=county_a, year=year)
    assert (report.figures["new_members"], report.figures["existing_registered"]) == (2, 5)
    snapshot = ProgressSnapshot.objects.get(org=county_a, year=year, scope="subtree")
    assert snapshot.completion["new_members"] == {"target": 80, "actual": 2, "ratio": 0.025}


def test_every_target_metric_says_what_it_is_measured_against():
    assert set(TARGET_DEFINITIONS) == set(Target.Metric.values)


def test_stored_keys_are_what_the_snapshots_hold():
    assert set(COUNT_KEYS) == {f.key for f in FIGURES if not f.derived}
