"""Progress snapshots equal a brute-force recount over a random dataset on the Hebei tree; how recounts are
scheduled and locked."""

import datetime as dt
import hashlib
import json
import random

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from approvals import services as approvals
from approvals.models import Application, Recommendation
from approvals.progress import (
    PROGRESS_SCHEDULED_CACHE_KEY,
    progress_lock,
    progress_recompute_all,
    progress_recompute_dirty,
)
from members.models import Fee, FeePayment, Membership, UnitMember
from members.services.units import unit_member_create
from orgs.figures import COUNT_KEYS, MONTHLY_KEYS, lag_badge, snapshot_digest, year_bounds
from orgs.models import Org, ProgressDelta, ProgressDirtyMark, ProgressSnapshot, Target
from orgs.services.progress import progress_mark_dirty
from orgs.services.targets import targets_seed
from tests.approvals.progress_dataset import AS_OF, YEARS, defer_recounts, generate

LIVE = ("active", "pending_rereg", "pending_renewal")


def _month_counts(moments) -> list[int]:
    months = [0] * 12
    for moment in moments:
        months[(timezone.localtime(moment).month if isinstance(moment, dt.datetime) else moment.month) - 1] += 1
    return months


def _brute_force(org: Org, year: int, scope: str) -> tuple[dict, dict]:
    """Naive per-org ORM queries, written from the definitions in orgs/figures.py independently of
    approvals.progress."""
    start, end = year_bounds(year)
    orgs = Org.objects.in_subtree(org) if scope == "subtree" else Org.objects.filter(pk=org.pk)
    apps = Application.objects.filter(org__in=orgs)
    received = list(apps.filter(created_at__gte=start, created_at__lt=end).values_list("created_at", "status", "due_on"))
    decided = list(apps.filter(decided_at__gte=start, decided_at__lt=end).values_list("decided_at", "status", "submitted_at"))
    recs = Recommendation.objects.filter(from_org__in=orgs)
    made = list(recs.filter(created_at__gte=start, created_at__lt=end).values_list("created_at", flat=True))
    accepted = list(
        Application.objects.filter(
            recommendation__from_org__in=orgs, status="approved", decided_at__gte=start, decided_at__lt=end
        ).values_list("decided_at", flat=True)
    )
    members = Membership.objects.filter(org__in=orgs)
    joined = list(members.filter(joined_on__year=year).values_list("joined_on", "org__level", "origin"))
    units = UnitMember.objects.filter(org__in=orgs)
    monthly = {
        "new_unit_members": _month_counts(units.filter(joined_on__year=year).values_list("joined_on", flat=True)),
        "received": _month_counts(m for m, _s, _sub in received),
        "pending": _month_counts(m for m, s, _sub in received if s in ("submitted", "returned")),
        "approved": _month_counts(m for m, s, _sub in decided if s == "approved"),
        "rejected": _month_counts(m for m, s, _sub in decided if s == "rejected"),
        "withdrawn": _month_counts(m for m, s, _sub in decided if s == "withdrawn"),
        "recommendations_made": _month_counts(made),
        "recommendations_accepted": _month_counts(accepted),
        "new_members": _month_counts(d for d, _lv, origin in joined if origin == "application"),
        "existing_registered": _month_counts(d for d, _lv, origin in joined if origin == "census"),
        "transferred_in": _month_counts(d for d, _lv, origin in joined if origin == "transfer"),
    }
    for level in Org.Level.values:
        monthly[f"new_members_{level}_level"] = _month_counts(
            d for d, lv, origin in joined if lv == level and origin == "application"
        )
    counts = {k: sum(v) for k, v in monthly.items()}
    today = timezone.localdate()
    counts["overdue"] = sum(1 for _m, s, due in received if s == "submitted" and due is not None and due < today)
    counts["handling_seconds"] = int(sum(
        ((d - sub).total_seconds() for d, s, sub in decided if s in ("approved", "rejected")), 0.0
    ))
    counts["members_prev_year_end"] = members.filter(status__in=LIVE, joined_on__lt=dt.date(year, 1, 1)).count()
    counts["members_year_end"] = members.filter(status__in=LIVE, joined_on__lt=dt.date(year + 1, 1, 1)).count()
    counts["unit_members_year_end"] = units.filter(status="active", joined_on__lt=dt.date(year + 1, 1, 1)).count()
    owing = [
        m for m in members.filter(status__in=("active", "pending_renewal"), joined_on__lt=dt.date(year + 1, 1, 1))
        if Fee.objects.filter(org_id=m.org_id, category=m.category, year=year, amount__gt=0).exists()
    ]
    payments = {p.membership_id: p.kind for p in FeePayment.objects.filter(membership__in=owing, year=year)}
    counts["fee_due"] = len(owing)
    counts["fee_paid"] = sum(1 for kind in payments.values() if kind == "paid")
    counts["fee_exempt"] = sum(1 for kind in payments.values() if kind == "exempt")
    return counts, monthly


def _brute_force_completion(org: Org, year: int) -> dict:
    result = {}
    for target in Target.objects.filter(org=org, year=year):
        start = dt.date(year, 1, 1)
        subtree_members = Membership.objects.filter(
            org__in=Org.objects.in_subtree(org), joined_on__year=year, origin="application"
        )
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
def frozen():
    with time_machine.travel(AS_OF, tick=False):
        yield AS_OF


@pytest.fixture
def random_decisions(frozen, hebei, make_applicant, make_members, province_admin, django_capture_on_commit_callbacks,
                     monkeypatch):
    defer_recounts(monkeypatch)
    rng = random.Random(20260101)
    orgs = list(Org.objects.order_by("pk"))
    targets_seed(year=2025)
    targets_seed(year=2026)
    with django_capture_on_commit_callbacks(execute=True):
        generate(rng, orgs, make_applicant=make_applicant, make_members=make_members, reviewer=province_admin,
                 n_people=150)
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
    seen = dict.fromkeys(COUNT_KEYS, 0)
    for org in orgs:
        for year in YEARS:
            for scope in ("own", "subtree"):
                counts, monthly = _brute_force(org, year, scope)
                snapshot = snapshots[(org.pk, year, scope)]
                assert snapshot.counts == counts, (org.name, year, scope)
                assert snapshot.monthly == monthly, (org.name, year, scope)
                for key, n in counts.items():
                    seen[key] += n
            assert snapshots[(org.pk, year, "subtree")].completion == _brute_force_completion(org, year), org.name
    # The Hebei tree has no national organisation to admit anyone at the national level.
    unreachable = {f"new_members_{Org.Level.NATIONAL}_level"}
    assert not [key for key, n in seen.items() if n == 0 and key not in unreachable], (
        "the random data exercises every stored figure"
    )
    assert set(MONTHLY_KEYS) == set(monthly)
    first = _snapshots()
    assert progress_recompute_all(years=YEARS)
    assert _snapshots() == first


@pytest.mark.django_db
def test_incremental_and_full_recompute_agree(random_decisions, make_applicant, make_members, province_admin,
                                              django_capture_on_commit_callbacks):
    """Orgs marked dirty (the path of changes that record no delta) are recounted whole, together with the
    pending deltas: the result is what a full recount gives."""
    progress_recompute_all(years=YEARS)
    ProgressDirtyMark.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        generate(random_decisions, list(Org.objects.order_by("pk")), make_applicant=make_applicant,
                 make_members=make_members, reviewer=province_admin, n_people=40)
    # Re-dating in _generate bypasses the services (and their deltas), so mark every org it touched.
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
def test_incremental_recompute_touches_only_changed_orgs_and_their_ancestors(
    hebei, county_a, city, make_applicant, province_admin, django_capture_on_commit_callbacks, monkeypatch
):
    defer_recounts(monkeypatch)
    progress_recompute_all(years=[2026])
    other = Org.objects.get(name="唐山市科学技术协会")
    before = {s.org_id: s.computed_at for s in ProgressSnapshot.objects.filter(scope="subtree")}
    ProgressDirtyMark.objects.all().delete()
    person = make_applicant("李四")
    with django_capture_on_commit_callbacks(execute=True):
        application = approvals.application_submit(person=person, org=county_a, declaration_accepted=True)
        approvals.application_approve(application=application, reviewer=province_admin)
    assert not ProgressDirtyMark.objects.exists(), "a decision records deltas instead of marking its org"
    assert ProgressDelta.objects.filter(org=county_a, key="approved", n=1).exists()
    progress_recompute_dirty()
    assert not ProgressDelta.objects.exists(), "the deltas are consumed"
    after = {s.org_id: s for s in ProgressSnapshot.objects.filter(scope="subtree", year=2026)}
    assert after[county_a.pk].counts["new_members"] == 1
    assert after[city.pk].counts["new_members_county_level"] == 1
    assert after[hebei.pk].counts["approved"] == 1
    assert after[other.pk].computed_at == before[other.pk], "an unrelated city is not rewritten"


def _stored_as_written(snapshot: ProgressSnapshot) -> None:
    """Save a snapshot's figures with their digest, as the writer of such figures (an earlier build, a faulty
    delta) stored them."""
    snapshot.digest = snapshot_digest(snapshot.counts, snapshot.monthly, snapshot.completion)
    snapshot.save(update_fields=["counts", "digest"])


@pytest.mark.django_db
def test_a_snapshot_without_a_newer_figure_is_not_built_on(hebei, county_a, monkeypatch):
    """Snapshots written before a figure existed lack its key: an incremental run recounts everything."""
    progress_recompute_all(years=[2026])
    for snapshot in ProgressSnapshot.objects.filter(year=2026):
        snapshot.counts.pop("existing_registered")
        _stored_as_written(snapshot)
    progress_mark_dirty(org_ids=[county_a.pk])
    assert progress_recompute_dirty()
    assert all("existing_registered" in s.counts for s in ProgressSnapshot.objects.filter(year=2026))


@pytest.mark.django_db
def test_a_recount_rewrites_only_the_snapshots_that_changed_and_stamps_the_rest(hebei, county_a, monkeypatch):
    """A nightly recount mostly confirms what is stored: unchanged snapshots only get the new time (their JSON is
    not sent or logged again); one that differs from the recount is rewritten."""
    progress_recompute_all(years=[2026])
    wrong = ProgressSnapshot.objects.get(org=county_a, year=2026, scope="own")
    right = dict(wrong.counts)
    wrong.counts["received"] += 5
    _stored_as_written(wrong)
    written = []
    bulk_create = ProgressSnapshot.objects.bulk_create

    def spy(rows, **kwargs):
        written.extend((row.org_id, row.scope) for row in rows)
        return bulk_create(rows, **kwargs)

    monkeypatch.setattr(ProgressSnapshot.objects, "bulk_create", spy)
    later = timezone.now() + dt.timedelta(hours=1)
    for verify in (False, True):
        written.clear()
        with time_machine.travel(later, tick=False):
            assert progress_recompute_all(years=[2026], verify=verify)
        assert written == ([(county_a.pk, "own")] if not verify else []), "only the wrong snapshot is rewritten"
        assert ProgressSnapshot.objects.get(pk=wrong.pk).counts == right
        assert set(ProgressSnapshot.objects.filter(year=2026).values_list("computed_at", flat=True)) == {later}
        later += dt.timedelta(hours=1)


@pytest.mark.django_db
def test_a_recount_compares_digests_and_reads_back_only_the_rows_that_changed(
    hebei, county_a, django_assert_max_num_queries
):
    """The stored JSON of ~20,000 snapshots is not read to find the few a recount changes: their digests are.
    Only rows whose digest differs are read whole, for the verifying run's report."""
    progress_recompute_all(years=[2026])
    wrong = ProgressSnapshot.objects.get(org=county_a, year=2026, scope="own")
    wrong.counts["received"] += 5
    _stored_as_written(wrong)

    def figures_read(queries) -> list[str]:
        return [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "orgs_progresssnapshot" in q["sql"]
                and '"counts"' in q["sql"]]

    with django_assert_max_num_queries(60) as plain:
        assert progress_recompute_all(years=[2026])
    assert figures_read(plain.captured_queries) == [], "a plain recount reads digests only"
    wrong.counts["received"] += 5
    _stored_as_written(wrong)
    with django_assert_max_num_queries(60) as verified:
        assert progress_recompute_all(years=[2026], verify=True)
    read = figures_read(verified.captured_queries)
    assert len(read) == 1 and "IN" in read[0], "the verifying run reads back the changed rows only"
    assert ProgressSnapshot.objects.get(pk=wrong.pk).counts["received"] == wrong.counts["received"] - 10


@pytest.mark.django_db
def test_a_snapshot_digest_ignores_key_order_and_sees_every_figure():
    counts, monthly = {"received": 3, "approved": 1}, {"received": [1] * 12}
    digest = snapshot_digest(counts, monthly, {})
    assert snapshot_digest({"approved": 1, "received": 3}, monthly, {}) == digest
    assert snapshot_digest({**counts, "approved": 2}, monthly, {}) != digest
    assert snapshot_digest(counts, {"received": [1] * 11 + [2]}, {}) != digest
    assert snapshot_digest(counts, monthly, {"members": {"target": 5}}) != digest


def test_a_snapshot_digest_is_the_one_stored_by_earlier_builds():
    """Digests already in the database stay valid: the digest is blake2b of the compact, key-sorted JSON that
    json.dumps writes, whichever encoder produces it, so a new build does not make the next recount rewrite every
    snapshot."""
    counts = {"received": 12, "approved": 7, "handling_seconds": 86_400 * 3}
    monthly = {"received": [0, 2, 10] + [0] * 9, "approved": [0] * 11 + [7]}
    completion = {"new_members": {"target": 80, "actual": 7, "ratio": 0.0875}, "recommendations": {"target": 0,
                  "actual": None, "ratio": None}}
    text = json.dumps([counts, monthly, completion], sort_keys=True, separators=(",", ":"))
    assert snapshot_digest(counts, monthly, completion) == hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@pytest.mark.django_db
def test_a_recompute_is_skipped_while_another_holds_the_lock(hebei):
    with progress_lock() as held:
        assert held
        assert progress_recompute_all(years=[2026]) is False
        assert progress_recompute_dirty() is False
    assert not ProgressSnapshot.objects.exists()
    assert progress_recompute_all(years=[2026]) is True


def _jit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_requests_run_without_jit_and_a_recount_with_it(hebei, monkeypatch):
    """Short queries are not compiled (settings.POSTGRES_CONNECTION_OPTIONS); a recount, which scans whole tables,
    turns JIT on for its own transaction only."""
    from approvals import progress

    assert _jit() == "off"
    seen = []
    recount = progress._recompute_full

    def spy(*args, **kwargs):
        seen.append(_jit())
        return recount(*args, **kwargs)

    monkeypatch.setattr(progress, "_recompute_full", spy)
    assert progress.progress_recompute_all(years=[2026]) is True
    assert seen == ["on"]
    assert _jit() == "off", "SET LOCAL ends with the recount's transaction"


@pytest.mark.django_db
def test_without_a_broker_or_scheduler_a_decision_is_counted_at_once(
    hebei, county_a, make_applicant, admin_a, django_capture_on_commit_callbacks
):
    """Management commands and tests (eager tasks, no scheduler thread): the commit recounts in its own thread."""
    progress_recompute_all(years=[timezone.localdate().year])
    with django_capture_on_commit_callbacks(execute=True):
        application = approvals.application_submit(person=make_applicant("即时"), org=county_a, declaration_accepted=True)
        approvals.application_approve(application=application, reviewer=admin_a)
    snapshot = ProgressSnapshot.objects.get(org=hebei, year=timezone.localdate().year, scope="subtree")
    assert snapshot.counts["approved"] == 1 and snapshot.counts["new_members_county_level"] == 1
    assert not ProgressDirtyMark.objects.exists() and not ProgressDelta.objects.exists()


@pytest.mark.django_db
def test_the_in_process_scheduler_gets_the_recount_when_it_runs(county_a, make_applicant, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    """With the scheduler thread running, the committing request only hands the recount over."""
    from kexie import scheduler

    handed = []
    monkeypatch.setattr(scheduler, "run_soon", lambda task_name, delay: handed.append((task_name, delay)) or True)
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("甲", "乙"):
            approvals.application_submit(person=make_applicant(name), org=county_a, declaration_accepted=True)
    recounts = [entry for entry in handed if entry[0] == "approvals.tasks.progress_recompute_dirty"]
    assert recounts == [("approvals.tasks.progress_recompute_dirty", 2.0)] * 2
    assert ("members.tasks.notices_deliver_pending", 5.0) in handed, "the notices' emails go to the scheduler too"
    assert ProgressDelta.objects.filter(org=county_a, key="received").count() == 2, "the deltas wait for the scheduler's run"
    assert not ProgressSnapshot.objects.exists()


@pytest.fixture
def with_broker():
    """Tasks go to a worker (not eager) and no scheduler thread runs, as with REDIS_URL set."""
    from django.core.cache import cache

    from kexie.celery import app
    from kexie.scheduler import task_wakes_forget

    cache.delete(PROGRESS_SCHEDULED_CACHE_KEY)
    task_wakes_forget()
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True
    task_wakes_forget()


@pytest.mark.django_db
def test_with_a_worker_a_burst_of_decisions_enqueues_one_debounced_recount(
    with_broker, county_a, make_applicant, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """A burst of decisions enqueues one job with a countdown; their deltas wait for it."""
    import kexie.celery

    calls = []
    monkeypatch.setattr(kexie.celery, "task_send", lambda name, *args, **kw: calls.append((name, kw)) or True)
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("甲", "乙", "丙"):
            approvals.application_submit(person=make_applicant(name), org=county_a, declaration_accepted=True)
    recounts = [call for call in calls if call[0] == "approvals.tasks.progress_recompute_dirty"]
    assert recounts == [("approvals.tasks.progress_recompute_dirty", {"countdown": settings.KEXIE_PROGRESS_DEBOUNCE_SECONDS})]
    assert ProgressDelta.objects.filter(org=county_a, key="pending").count() == 3


@pytest.mark.django_db
def test_the_signal_is_tolerant_of_a_dead_broker(with_broker, county_a, make_applicant, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    from kexie.celery import app

    def broken(*args, **kwargs):
        raise OSError("broker down")

    monkeypatch.setattr(app, "signature", lambda *args, **kwargs: type("Refused", (), {"apply_async": broken})())
    with django_capture_on_commit_callbacks(execute=True):
        application = approvals.application_submit(person=make_applicant(), org=county_a, declaration_accepted=True)
    assert Application.objects.filter(pk=application.pk).exists()
    assert ProgressDelta.objects.filter(org=county_a).exists(), "the periodic run will apply the deltas"


def test_lag_badge_compares_completion_with_the_share_of_the_year_elapsed():
    mid = dt.date(2026, 7, 2)
    assert lag_badge(None, 2026, mid) == ""
    assert lag_badge(0.6, 2026, mid) == "ok"
    assert lag_badge(0.45, 2026, mid) == "warn"
    assert lag_badge(0.2, 2026, mid) == "bad"
    assert lag_badge(0.99, 2025, mid) == "warn"
    assert lag_badge(0.0, 2027, mid) == "ok"



@pytest.mark.django_db
def test_a_unit_member_counts_toward_its_area_and_is_recounted_at_once(
    county_a, city, city_admin, django_capture_on_commit_callbacks
):
    """Unit members are a progress source: entering one recounts its org and the city's subtree counts it."""
    year = timezone.localdate().year
    Target.objects.create(org=city, year=year, metric="unit_members", value=4)
    with django_capture_on_commit_callbacks(execute=True):
        unit_member_create(
            actor=city_admin, org=county_a, name="井陉某公司", uscc="91110000600037341L"
        )
    snapshot = ProgressSnapshot.objects.get(org=city, year=year, scope="subtree")
    assert snapshot.counts["new_unit_members"] == 1 and snapshot.counts["unit_members_year_end"] == 1
    assert snapshot.completion["unit_members"] == {"target": 4, "actual": 1, "ratio": 0.25}
