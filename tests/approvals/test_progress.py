"""Progress snapshots equal a brute-force recount over random decisions on the Hebei tree."""

import datetime as dt
import random

import pytest
from django.core.cache import cache
from django.utils import timezone

from approvals import services as approvals
from approvals.models import Application, Recommendation
from approvals.progress import (
    PROGRESS_DEBOUNCE_SECONDS,
    PROGRESS_SCHEDULED_CACHE_KEY,
    progress_lock,
    progress_recompute_all,
    progress_recompute_dirty,
)
from kexie.validators import uscc_check_char
from members.models import Membership, UnitMember
from members.services.units import unit_member_create
from orgs.figures import lag_badge, year_bounds
from orgs.models import Org, ProgressDirtyMark, ProgressSnapshot, Target
from orgs.services.progress import progress_mark_dirty
from orgs.services.targets import targets_seed

YEARS = (2025, 2026)
LIVE = ("active", "pending_rereg")


def _random_moment(rng: random.Random) -> dt.datetime:
    tz = timezone.get_current_timezone()
    start = dt.datetime(2025, 1, 1, tzinfo=tz)
    return start + dt.timedelta(seconds=rng.randrange(int(dt.timedelta(days=700).total_seconds())))


def _generate(rng, orgs, make_applicant, reviewer, n_people: int) -> None:
    """Submit, decide and recommend at random through the real services, then spread the dates over two years."""
    for i in range(n_people):
        person = make_applicant(f"申请人{i}")
        org = rng.choice(orgs)
        application = approvals.application_submit(person=person, org=org, declaration_accepted=True)
        roll = rng.random()
        if roll < 0.45:
            membership = approvals.application_approve(application=application, reviewer=reviewer, override_reason="测试")
            if org.parent_id and rng.random() < 0.5:
                approvals.recommendation_create(
                    actor=reviewer, from_org=org, person=person, opinion="推荐", source_membership=membership
                )
                upper = Application.objects.get(person=person, org_id=org.parent_id, status="submitted")
                choice = rng.random()
                if choice < 0.5:
                    approvals.application_approve(application=upper, reviewer=reviewer, override_reason="测试")
                elif choice < 0.7:
                    approvals.application_reject(application=upper, reviewer=reviewer, comment="名额已满")
        elif roll < 0.6:
            approvals.application_reject(application=application, reviewer=reviewer, comment="条件不符")
        elif roll < 0.75:
            approvals.application_return(application=application, reviewer=reviewer, comment="请补充材料")
            if rng.random() < 0.5:
                approvals.application_withdraw(application=application, person=person)
            elif rng.random() < 0.5:
                approvals.application_resubmit(application=application, person=person)
        elif roll < 0.85:
            approvals.application_withdraw(application=application, person=person)
    # Re-date the rows so months and both years are exercised (the services always stamp "now").
    for application in Application.objects.all():
        created = _random_moment(rng)
        decided = created + dt.timedelta(days=rng.randrange(0, 90)) if application.decided_at else None
        Application.objects.filter(pk=application.pk).update(created_at=created, submitted_at=created, decided_at=decided)
        if decided:
            Membership.objects.filter(application=application).update(
                joined_on=timezone.localtime(decided).date()
            )
    for recommendation in Recommendation.objects.all():
        Recommendation.objects.filter(pk=recommendation.pk).update(created_at=_random_moment(rng))
    # Unit members (团体会员) entered through the service at random orgs, joined on random days of both years.
    offset = UnitMember.objects.count()
    for i in range(offset, offset + n_people // 5):
        first17 = f"9113010{i:010d}"
        unit = unit_member_create(
            actor=reviewer, org=rng.choice(orgs), name=f"测试单位{i}", uscc=first17 + uscc_check_char(first17)
        )
        UnitMember.objects.filter(pk=unit.pk).update(joined_on=_random_moment(rng).date())
    lapsed = list(Membership.objects.order_by("pk").values_list("pk", flat=True))
    rng.shuffle(lapsed)
    Membership.objects.filter(pk__in=lapsed[: len(lapsed) // 10]).update(status="lapsed")


def _month_counts(moments) -> list[int]:
    months = [0] * 12
    for moment in moments:
        months[(timezone.localtime(moment).month if isinstance(moment, dt.datetime) else moment.month) - 1] += 1
    return months


def _brute_force(org: Org, year: int, scope: str) -> tuple[dict, dict]:
    """Naive per-org ORM queries, written independently of approvals.progress."""
    start, end = year_bounds(year)
    orgs = Org.objects.in_subtree(org) if scope == "subtree" else Org.objects.filter(pk=org.pk)
    apps = Application.objects.filter(org__in=orgs)
    received = list(apps.filter(created_at__gte=start, created_at__lt=end).values_list("created_at", "status"))
    decided = list(apps.filter(decided_at__gte=start, decided_at__lt=end).values_list("decided_at", "status"))
    recs = Recommendation.objects.filter(from_org__in=orgs)
    made = list(recs.filter(created_at__gte=start, created_at__lt=end).values_list("created_at", flat=True))
    accepted = list(
        Application.objects.filter(
            recommendation__from_org__in=orgs, status="approved", decided_at__gte=start, decided_at__lt=end
        ).values_list("decided_at", flat=True)
    )
    members = Membership.objects.filter(org__in=orgs)
    joined = list(members.filter(joined_on__year=year).values_list("joined_on", "org__level"))
    units = list(UnitMember.objects.filter(org__in=orgs, joined_on__year=year).values_list("joined_on", flat=True))
    monthly = {
        "new_unit_members": _month_counts(units),
        "received": _month_counts(m for m, _ in received),
        "pending": _month_counts(m for m, s in received if s in ("submitted", "returned")),
        "approved": _month_counts(m for m, s in decided if s == "approved"),
        "rejected": _month_counts(m for m, s in decided if s == "rejected"),
        "withdrawn": _month_counts(m for m, s in decided if s == "withdrawn"),
        "recommendations_made": _month_counts(made),
        "recommendations_accepted": _month_counts(accepted),
        "new_members": _month_counts(d for d, _ in joined),
    }
    for level in ("province", "city", "county"):
        monthly[f"new_members_{level}_level"] = _month_counts(d for d, lv in joined if lv == level)
    counts = {k: sum(v) for k, v in monthly.items()}
    counts["members_prev_year_end"] = members.filter(status__in=LIVE, joined_on__lt=dt.date(year, 1, 1)).count()
    counts["members_year_end"] = members.filter(status__in=LIVE, joined_on__lt=dt.date(year + 1, 1, 1)).count()
    return counts, monthly


def _brute_force_completion(org: Org, year: int) -> dict:
    result = {}
    for target in Target.objects.filter(org=org, year=year):
        start = dt.date(year, 1, 1)
        subtree_members = Membership.objects.filter(org__in=Org.objects.in_subtree(org), joined_on__year=year)
        if target.metric == "new_members":
            actual = subtree_members.filter(org__level=org.level).count()
        elif target.metric == "recommendations":
            actual = Recommendation.objects.filter(
                from_org=org, created_at__gte=year_bounds(year)[0], created_at__lt=year_bounds(year)[1]
            ).count()
        elif target.metric == "member_growth_pct":
            own = Membership.objects.filter(org=org, status__in=LIVE)
            before = own.filter(joined_on__lt=start).count()
            after = own.filter(joined_on__lt=dt.date(year + 1, 1, 1)).count()
            actual = round((after - before) * 100 / before, 1) if before else None
        elif target.metric == "unit_members":
            actual = UnitMember.objects.filter(org__in=Org.objects.in_subtree(org), joined_on__year=year).count()
        elif target.metric.startswith("new_members_"):
            level = target.metric.removeprefix("new_members_").removesuffix("_level")
            actual = subtree_members.filter(org__level=level).count()
        else:
            actual = None
        ratio = round(actual / target.value, 4) if actual is not None and target.value else None
        result[target.metric] = {"target": target.value, "actual": actual, "ratio": ratio}
    return result


def _snapshots() -> dict:
    return {
        (s.org_id, s.year, s.scope): (s.counts, s.monthly, s.completion)
        for s in ProgressSnapshot.objects.all()
    }


@pytest.fixture
def random_decisions(hebei, make_applicant, province_admin, django_capture_on_commit_callbacks):
    rng = random.Random(20260101)
    orgs = list(Org.objects.order_by("pk"))
    targets_seed(year=2025)
    targets_seed(year=2026)
    with django_capture_on_commit_callbacks(execute=True):
        _generate(rng, orgs, make_applicant, province_admin, n_people=150)
    return rng


@pytest.mark.django_db
def test_every_snapshot_equals_a_brute_force_recount_and_a_rerun_changes_nothing(random_decisions):
    """Own and subtree counts, monthly series and target completion of every org match naive per-org queries;
    running the job again leaves every snapshot as it was."""
    assert progress_recompute_all(years=YEARS)
    assert Application.objects.filter(status="approved", recommendation__isnull=False).exists()
    snapshots = {(s.org_id, s.year, s.scope): s for s in ProgressSnapshot.objects.all()}
    orgs = list(Org.objects.all())
    assert len(snapshots) == len(orgs) * len(YEARS) * 2
    nonzero = 0
    for org in orgs:
        for year in YEARS:
            for scope in ("own", "subtree"):
                counts, monthly = _brute_force(org, year, scope)
                snapshot = snapshots[(org.pk, year, scope)]
                assert snapshot.counts == counts, (org.name, year, scope)
                assert {k: snapshot.monthly[k] for k in monthly} == monthly, (org.name, year, scope)
                nonzero += any(counts.values())
            assert snapshots[(org.pk, year, "subtree")].completion == _brute_force_completion(org, year), org.name
    assert nonzero > 100, "the random data should touch many orgs"
    first = _snapshots()
    assert progress_recompute_all(years=YEARS)
    assert _snapshots() == first


@pytest.mark.django_db
def test_incremental_and_full_recompute_agree(random_decisions, make_applicant, province_admin,
                                              django_capture_on_commit_callbacks):
    """Decisions mark their orgs dirty; recounting only those (and ancestors) gives what a full recount gives."""
    progress_recompute_all(years=YEARS)
    ProgressDirtyMark.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        _generate(random_decisions, list(Org.objects.order_by("pk")), make_applicant, province_admin, n_people=40)
    # Re-dating in _generate touched every application, so mark their orgs as the signal would have.
    progress_mark_dirty(org_ids=Application.objects.values_list("org_id", flat=True))
    progress_mark_dirty(org_ids=Membership.objects.values_list("org_id", flat=True))
    progress_mark_dirty(org_ids=UnitMember.objects.values_list("org_id", flat=True))
    assert ProgressDirtyMark.objects.exists()
    assert progress_recompute_dirty()
    assert not ProgressDirtyMark.objects.exists()
    incremental = _snapshots()
    progress_recompute_all(years=YEARS)
    assert _snapshots() == incremental


@pytest.mark.django_db
def test_incremental_recompute_touches_only_marked_orgs_and_their_ancestors(
    hebei, county_a, city, make_applicant, province_admin, django_capture_on_commit_callbacks
):
    progress_recompute_all(years=[2026])
    other = Org.objects.get(name="唐山市科学技术协会")
    before = {s.org_id: s.computed_at for s in ProgressSnapshot.objects.filter(scope="subtree")}
    ProgressDirtyMark.objects.all().delete()
    person = make_applicant("李四")
    with django_capture_on_commit_callbacks(execute=True):
        application = approvals.application_submit(person=person, org=county_a, declaration_accepted=True)
        approvals.application_approve(application=application, reviewer=province_admin)
    assert ProgressDirtyMark.objects.filter(org=county_a).exists(), "a decision marks its org dirty"
    progress_recompute_dirty()
    after = {s.org_id: s for s in ProgressSnapshot.objects.filter(scope="subtree", year=2026)}
    assert after[county_a.pk].counts["new_members"] == 1
    assert after[city.pk].counts["new_members_county_level"] == 1
    assert after[hebei.pk].counts["approved"] == 1
    assert after[other.pk].computed_at == before[other.pk], "an unrelated city is not rewritten"


@pytest.mark.django_db
def test_a_recompute_is_skipped_while_another_holds_the_lock(hebei):
    with progress_lock() as held:
        assert held
        assert progress_recompute_all(years=[2026]) is False
        assert progress_recompute_dirty() is False
    assert not ProgressSnapshot.objects.exists()
    assert progress_recompute_all(years=[2026]) is True


@pytest.mark.django_db
def test_a_decision_schedules_one_debounced_recompute(county_a, make_applicant, admin_a, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    """A burst of decisions enqueues one job with a countdown; the orgs are marked dirty for it."""
    from django.core.cache import cache

    from approvals import tasks

    calls = []
    monkeypatch.setattr(tasks.progress_recompute_dirty, "apply_async", lambda **kw: calls.append(kw))
    cache.delete(PROGRESS_SCHEDULED_CACHE_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("甲", "乙", "丙"):
            approvals.application_submit(person=make_applicant(name), org=county_a, declaration_accepted=True)
    assert calls == [{"countdown": PROGRESS_DEBOUNCE_SECONDS}]
    assert ProgressDirtyMark.objects.filter(org=county_a).exists()


@pytest.mark.django_db
def test_the_signal_is_tolerant_of_a_dead_broker(county_a, make_applicant, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from approvals import tasks

    def broken(**kwargs):
        raise OSError("broker down")

    monkeypatch.setattr(tasks.progress_recompute_dirty, "apply_async", broken)
    cache.delete(PROGRESS_SCHEDULED_CACHE_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        application = approvals.application_submit(person=make_applicant(), org=county_a, declaration_accepted=True)
    assert Application.objects.filter(pk=application.pk).exists()
    assert ProgressDirtyMark.objects.filter(org=county_a).exists(), "the periodic run will pick the org up"


def test_lag_badge_compares_completion_with_the_share_of_the_year_elapsed():
    mid = dt.date(2026, 7, 2)
    assert lag_badge(None, 2026, mid) == ""
    assert lag_badge(0.6, 2026, mid) == "ok"
    assert lag_badge(0.45, 2026, mid) == "warn"
    assert lag_badge(0.2, 2026, mid) == "bad"
    assert lag_badge(0.99, 2025, mid) == "warn"
    assert lag_badge(0.0, 2027, mid) == "ok"



@pytest.mark.django_db
def test_a_unit_member_counts_toward_its_area_and_schedules_a_recount(
    county_a, city, city_admin, django_capture_on_commit_callbacks
):
    """Unit members are a progress source: entering one marks its org dirty and the city's subtree counts it."""
    ProgressDirtyMark.objects.all().delete()
    # A recount is already pending in this debounce window, so the new mark waits for it (in eager mode a free
    # window would run the recount at once and consume the mark before it can be observed).
    cache.set(PROGRESS_SCHEDULED_CACHE_KEY, 1, timeout=60)
    year = timezone.localdate().year
    Target.objects.create(org=city, year=year, metric="unit_members", value=4)
    with django_capture_on_commit_callbacks(execute=True):
        unit_member_create(
            actor=city_admin, org=county_a, name="井陉某公司", uscc="91110000600037341L"
        )
    assert ProgressDirtyMark.objects.filter(org=county_a).exists()
    assert progress_recompute_dirty()
    snapshot = ProgressSnapshot.objects.get(org=city, year=year, scope="subtree")
    assert snapshot.counts["new_unit_members"] == 1
    assert snapshot.completion["unit_members"] == {"target": 4, "actual": 1, "ratio": 0.25}
