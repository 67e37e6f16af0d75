"""generate_load --national: the national shape (中国科协, 31 provinces and their cities, counties and societies)
and the same invariants as the provincial load, also when the load is written in several batches."""

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from approvals.models import Application, Recommendation
from bench.loadgen import load_generate, load_reset
from bench.national_tree import PROVINCES
from members.models import MemberNumberCounter, Membership, Person
from orgs.models import Org
from orgs.services.tree import orgs_load_csv
from tests.conftest import HEBEI_CSV

N = 3000
L, K = Org.Level, Org.Kind


def _orgs_clear() -> None:
    # Children before parents: the parent key protects.
    for depth in range(5, -1, -1):
        Org.objects.filter(depth=depth)._raw_delete(Org.objects.db)


def _shape() -> dict:
    return {
        "by_status_org": Counter(Application.objects.values_list("status", "org__code").annotate(n=Count("id"))),
        "persons": Person.objects.count(),
        "recommendations": Recommendation.objects.count(),
        "numbers": set(Membership.objects.values_list("number", flat=True)),
    }


def _assert_numbers_gapless() -> None:
    sequences: dict[tuple[int, int], list[int]] = {}
    for org_id, level, code, number in Membership.objects.values_list("org_id", "org__level", "org__code", "number"):
        assert number[0] == {"national": "N", "province": "P", "city": "C", "county": "X"}[level]
        assert number.split("-")[1] == code
        sequences.setdefault((org_id, int(number[1:5])), []).append(int(number.rsplit("-", 1)[1]))
    counters = {(c.org_id, c.year): c.last_value for c in MemberNumberCounter.objects.all()}
    assert set(counters) == set(sequences)
    for key, values in sequences.items():
        assert sorted(values) == list(range(1, len(values) + 1)) and counters[key] == len(values)


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):
    """A national tree with N applications written in batches of 700, committed for the module."""
    with django_db_blocker.unblock():
        load_reset()
        _orgs_clear()
        call_command("generate_load", applications=1, national=True, seed=3, stdout=io.StringIO())
        load_reset()
        load_generate(applications=N, seed=3, national=True, batch=700)
    yield
    with django_db_blocker.unblock():
        load_reset()
        _orgs_clear()
        # Leave the session's Hebei tree as tests/conftest.py's django_db_setup made it.
        orgs_load_csv(HEBEI_CSV)


@pytest.mark.django_db
def test_one_national_root_with_the_31_provinces_below_it(national):
    root = Org.objects.get(parent=None)
    assert root.level == L.NATIONAL and root.kind == K.KEXIE
    provinces = Org.objects.filter(level=L.PROVINCE, kind=K.KEXIE)
    assert provinces.count() == 31 and set(provinces.values_list("parent_id", flat=True)) == {root.pk}
    assert {p.name for p in provinces} == {f"{name}科学技术协会" for _, name in PROVINCES}
    assert 9_000 <= Org.objects.count() <= 11_000


@pytest.mark.django_db
def test_every_level_and_kind_sits_under_the_right_parent(national):
    orgs = {o.pk: o for o in Org.objects.all()}
    counts = Counter((o.level, o.kind) for o in orgs.values())
    assert counts[(L.CITY, K.KEXIE)] >= 300 and counts[(L.COUNTY, K.KEXIE)] >= 2_500
    for kind in (K.SOCIETY, K.UNIVERSITY, K.ENTERPRISE):
        assert counts[(L.PROVINCE, kind)] > 31
    assert counts[(L.CITY, K.SOCIETY)] > 300 and counts[(L.COUNTY, K.PARK)] > 100
    expected_parent = {
        (L.PROVINCE, K.KEXIE): (L.NATIONAL, K.KEXIE),
        (L.PROVINCE, K.SOCIETY): (L.PROVINCE, K.KEXIE),
        (L.PROVINCE, K.UNIVERSITY): (L.PROVINCE, K.KEXIE),
        (L.PROVINCE, K.ENTERPRISE): (L.PROVINCE, K.KEXIE),
        (L.CITY, K.KEXIE): (L.PROVINCE, K.KEXIE),
        (L.CITY, K.SOCIETY): (L.CITY, K.KEXIE),
        (L.COUNTY, K.KEXIE): (L.CITY, K.KEXIE),
        (L.COUNTY, K.PARK): (L.CITY, K.KEXIE),
    }
    for org in orgs.values():
        if org.parent_id is None:
            continue
        parent = orgs[org.parent_id]
        assert (parent.level, parent.kind) == expected_parent[(org.level, org.kind)], org.name
    siblings = Counter((o.parent_id, o.name) for o in orgs.values())
    assert max(siblings.values()) == 1, "names are unique among siblings"


@pytest.mark.django_db
def test_computed_tree_columns_are_what_django_mptt_would_build(national):
    def columns():
        return sorted(Org.objects.values_list("pk", "tree_id", "lft", "rght", "depth"))

    written = columns()
    Org.objects.rebuild()
    assert columns() == written


@pytest.mark.django_db
def test_batched_load_keeps_the_invariants(national):
    assert Application.objects.count() == N
    assert set(Application.objects.values_list("status", flat=True)) == set(Application.Status.values)
    assert Person.objects.values("id_number_index").distinct().count() == Person.objects.count()
    assert not Application.objects.open().values("person_id", "org_id").annotate(n=Count("id")).filter(n__gt=1)
    approved = Application.objects.filter(status=Application.Status.APPROVED)
    assert Membership.objects.count() == approved.count() > 0
    _assert_numbers_gapless()
    for recommendation in Recommendation.objects.select_related("from_org", "application"):
        assert recommendation.to_org_id == recommendation.from_org.parent_id
        assert recommendation.application.org_id == recommendation.to_org_id
    # Org codes start with the province's abbreviation.
    provinces_with_load = {code[:2] for code in Application.objects.exclude(org__level=L.NATIONAL).values_list("org__code", flat=True)}
    assert len(provinces_with_load) >= 25, "the load spreads over the provinces"


@pytest.mark.django_db
def test_batches_give_the_same_data_as_one_pass(national):
    batched = _shape()
    load_reset()
    load_generate(applications=N, seed=3, national=True)
    assert _shape() == batched
    with pytest.raises(CommandError):
        call_command("generate_load", applications=10, national=True, seed=3, stdout=io.StringIO())


@pytest.mark.django_db
def test_append_adds_new_people_and_continues_the_numbers(national):
    before = _shape()
    first_ids = set(Application.objects.values_list("pk", flat=True))
    call_command("generate_load", applications=500, national=True, append=True, seed=3, stdout=io.StringIO())
    assert Application.objects.count() == N + 500
    assert first_ids < set(Application.objects.values_list("pk", flat=True)), "earlier rows are kept"
    assert Person.objects.count() > before["persons"]
    assert Person.objects.values("id_number_index").distinct().count() == Person.objects.count()
    assert before["numbers"] < set(Membership.objects.values_list("number", flat=True))
    _assert_numbers_gapless()


@pytest.mark.django_db
def test_the_national_benchmark_counts_each_subtree_like_the_tree_query(national):
    """bench.national picks its subtrees with prefix sums over MPTT order; they match counting each subtree."""
    from bench.national import subtree_counts

    counts = subtree_counts()
    root = Org.objects.get(parent=None)
    province = Org.objects.filter(level=L.PROVINCE, kind=K.KEXIE).order_by("code")[2]
    city = Org.objects.filter(parent=province, level=L.CITY, kind=K.KEXIE).order_by("code")[0]
    county = Org.objects.filter(parent=city).order_by("code")[0]
    for org in (root, province, city, county):
        assert counts[org.pk] == Application.objects.filter(org__in=Org.objects.in_subtree(org)).count(), org.name
    assert counts[root.pk] == Application.objects.count() > counts[province.pk] > counts[city.pk] > 0
