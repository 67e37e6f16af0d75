"""Yearly targets: seeded defaults, set by the level above, audited."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from approvals.progress import progress_recompute_all, progress_recompute_dirty
from kexie.errors import DomainError, OutOfScope
from orgs.models import AuditEvent, Org, Target
from orgs.services.targets import target_set
from tests.conftest import login_via_form


@pytest.mark.django_db
def test_seed_targets_sets_the_documented_defaults_and_is_idempotent(hebei, city, county_a):
    call_command("seed_targets", "--year", "2026")
    targets = {(t.org_id, t.metric): t.value for t in Target.objects.filter(year=2026)}
    assert targets[(city.pk, "new_members")] == 610
    assert targets[(city.pk, "recommendations")] == 50
    assert targets[(county_a.pk, "new_members")] == 80
    society = Org.objects.filter(level="province", kind="society").first()
    assert targets[(society.pk, "recommendations")] == 20
    assert targets[(society.pk, "member_growth_pct")] == 15
    assert targets[(hebei.pk, "new_members_province_level")] == 3340
    assert targets[(hebei.pk, "new_members_city_level")] == 6670
    assert targets[(hebei.pk, "new_members_county_level")] == 10000
    assert len(targets) == 13 * 2 + 164 + 30 * 2 + 3
    count = Target.objects.count()
    Target.objects.filter(org=city, metric="new_members").update(value=700)
    call_command("seed_targets", "--year", "2026")
    assert Target.objects.count() == count
    assert Target.objects.get(org=city, metric="new_members", year=2026).value == 700, "a changed target is kept"


@pytest.mark.django_db
def test_the_city_administrator_sets_a_county_target_and_it_is_audited(county_a, city_admin):
    target = target_set(actor=city_admin, org=county_a, year=2026, metric="new_members", value=95)
    target_set(actor=city_admin, org=county_a, year=2026, metric="new_members", value=100)
    target.refresh_from_db()
    assert target.value == 100
    events = list(AuditEvent.objects.for_object(target).values_list("action", "data"))
    assert events == [
        ("target.set", {"year": 2026, "metric": "new_members", "old": None, "new": 95}),
        ("target.set", {"year": 2026, "metric": "new_members", "old": 95, "new": 100}),
    ]


@pytest.mark.django_db
def test_an_administrator_cannot_set_its_own_or_a_siblings_target(county_a, county_b, admin_a, other_city_admin):
    for actor, org in [(admin_a, county_a), (admin_a, county_b), (other_city_admin, county_a)]:
        with pytest.raises(OutOfScope):
            target_set(actor=actor, org=org, year=2026, metric="new_members", value=10)
    assert not Target.objects.exists()


@pytest.mark.django_db
def test_bad_target_values_are_refused_in_chinese(county_a, city_admin, hebei, province_admin):
    with pytest.raises(DomainError, match="整数"):
        target_set(actor=city_admin, org=county_a, year=2026, metric="new_members", value=-1)
    with pytest.raises(DomainError, match="不适用"):
        target_set(actor=city_admin, org=county_a, year=2026, metric="member_growth_pct", value=15)
    with pytest.raises(DomainError, match="年度"):
        target_set(actor=city_admin, org=county_a, year=1999, metric="new_members", value=10)
    assert not Target.objects.exists()


@pytest.mark.django_db
def test_the_target_form_keeps_input_and_shows_errors(client, county_a, city_admin):
    assert login_via_form(client, "city_admin")
    url = reverse("orgs:target_edit", args=[county_a.pk, 2026])
    response = client.post(url, {"new_members": "85", "recommendations": "abc"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "请输入整数" in body
    assert 'value="85"' in body, "what was typed is kept"
    assert not Target.objects.exists(), "nothing is written when one field is wrong"
    response = client.post(url, {"new_members": "85", "recommendations": "12"})
    assert response.status_code == 302
    assert dict(Target.objects.filter(org=county_a).values_list("metric", "value")) == {
        "new_members": 85, "recommendations": 12
    }


@pytest.mark.django_db
def test_the_target_list_shows_only_orgs_below_the_administrator(client, city, county_a, other_county, city_admin,
                                                                  django_assert_max_num_queries):
    client.force_login(city_admin)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("orgs:target_list") + "?year=2026")
    body = response.content.decode()
    assert county_a.name in body
    assert other_county.name not in body
    assert f">{city.name}<" not in body, "a city administrator does not set its own targets"


@pytest.mark.django_db
def test_a_target_change_schedules_a_recompute_of_its_org(county_a, city_admin, django_capture_on_commit_callbacks):
    from orgs.models import ProgressDirtyMark, ProgressSnapshot

    progress_recompute_all(years=[2026])
    with django_capture_on_commit_callbacks(execute=True):
        target_set(actor=city_admin, org=county_a, year=2026, metric="new_members", value=50)
    # Eager Celery ran the debounced job at once (or the mark waits for the next run).
    progress_recompute_dirty()
    assert not ProgressDirtyMark.objects.exists()
    snapshot = ProgressSnapshot.objects.get(org=county_a, year=2026, scope="subtree")
    assert snapshot.completion == {"new_members": {"target": 50, "actual": 0, "ratio": 0.0}}
