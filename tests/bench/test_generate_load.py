"""generate_load: exact counts, every state, valid identities, gapless member numbers, reproducible shape."""

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from approvals.models import Application, Recommendation
from bench.loadgen import PREFIX, load_reset
from kexie.validators import mask_id_number, validate_id_number
from members.crypto import decrypt_id_number, id_number_blind_index
from members.models import Award, MemberNumberCounter, Membership, Person, User
from orgs.models import AuditEvent

N = 2000


def _shape() -> dict:
    return {
        "by_status_org": Counter(
            (row["status"], row["org__code"])
            for row in Application.objects.values("status", "org__code").annotate(n=Count("id"))
            for _ in range(row["n"])
        ),
        "persons": Person.objects.count(),
        "awards": Award.objects.count(),
        "recommendations": Recommendation.objects.count(),
        "memberships": Membership.objects.count(),
    }


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """Generated once for the module (committed), removed again by the generator's own reset."""
    with django_db_blocker.unblock():
        call_command("generate_load", applications=N, seed=1, stdout=io.StringIO())
    yield
    with django_db_blocker.unblock():
        load_reset()


@pytest.mark.django_db
def test_exactly_n_applications_in_every_state(generated):
    assert Application.objects.count() == N
    assert set(Application.objects.values_list("status", flat=True)) == set(Application.Status.values)


@pytest.mark.django_db
def test_member_numbers_are_unique_gapless_per_org_and_year_and_match_the_counter(generated):
    approved = Application.objects.filter(status=Application.Status.APPROVED)
    assert Membership.objects.count() == approved.count() > 0
    assert not approved.filter(membership__isnull=True).exists()
    numbers = list(Membership.objects.values_list("org_id", "org__code", "number"))
    assert len({n for _, _, n in numbers}) == len(numbers)
    sequences: dict[tuple[int, int], list[int]] = {}
    for org_id, code, number in numbers:
        prefix, year_code, sequence = number[0], number[1:5], number.rsplit("-", 1)[1]
        assert number.split("-")[1] == code and prefix in "PCX"
        sequences.setdefault((org_id, int(year_code)), []).append(int(sequence))
    counters = {(c.org_id, c.year): c.last_value for c in MemberNumberCounter.objects.all()}
    assert set(counters) == set(sequences)
    for key, values in sequences.items():
        assert sorted(values) == list(range(1, len(values) + 1)), key
        assert counters[key] == len(values)


@pytest.mark.django_db
def test_id_numbers_are_valid_encrypted_indexed_and_masked(generated):
    people = list(Person.objects.filter(user__username__startswith=PREFIX))
    assert len(people) == Person.objects.count()
    for person in people[:300]:
        plain = decrypt_id_number(person.id_number_encrypted)
        assert validate_id_number(plain) == plain
        assert person.id_number_index == id_number_blind_index(plain)
        assert person.id_number_masked == mask_id_number(plain)
        assert person.birth_date.strftime("%Y%m%d") == plain[6:14]
    assert Person.objects.values("id_number_index").distinct().count() == len(people)


@pytest.mark.django_db
def test_open_applications_are_one_per_person_and_org_and_decisions_are_recorded(generated):
    open_pairs = (
        Application.objects.open().values("person_id", "org_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not open_pairs.exists()
    decided = Application.objects.filter(status__in=["approved", "rejected"])
    assert not decided.filter(decided_by__isnull=True).exists()
    assert not decided.filter(decided_at__isnull=True).exists()
    for application in Application.objects.filter(status="approved", meets_criteria=False)[:50]:
        assert application.override_reason
    approvals = AuditEvent.objects.filter(action="application.approve").count()
    assert approvals == Membership.objects.count()
    assert AuditEvent.objects.filter(action="application.submit").count() == Application.objects.filter(
        recommendation__isnull=True
    ).count()


@pytest.mark.django_db
def test_recommendations_link_the_upper_level_application(generated):
    recommendations = Recommendation.objects.select_related("from_org", "to_org", "application")
    assert recommendations.exists()
    for recommendation in recommendations:
        assert recommendation.to_org_id == recommendation.from_org.parent_id
        assert recommendation.application.org_id == recommendation.to_org_id
        source = recommendation.source_membership or recommendation.source_application
        assert source.org_id == recommendation.from_org_id and source.person_id == recommendation.person_id


@pytest.mark.django_db
def test_same_seed_gives_the_same_shape_and_reset_removes_everything(generated, make_applicant):
    real = make_applicant("真实申请人")
    first = _shape()
    with pytest.raises(CommandError):
        call_command("generate_load", applications=N, seed=1, stdout=io.StringIO())
    call_command("generate_load", applications=N, seed=1, reset=True, stdout=io.StringIO())
    assert _shape() == first
    load_reset()
    assert not User.objects.filter(username__startswith=PREFIX).exists()
    assert list(Person.objects.all()) == [real]
    assert not Application.objects.exists() and not Membership.objects.exists()
    assert not MemberNumberCounter.objects.exists()
