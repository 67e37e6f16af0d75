"""Membership conditions by level (冀科协〔2017〕90号 三、会员条件) at every education and title boundary, the county
exemption for rural technical experts and popular-science leaders, and the education data migration."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from approvals.eligibility import eligibility_check
from members.models import Award, Person

E = Person.Education
T = Person.Title

# Highest first, as the national classification lists them.
NATIONAL_ORDER = ["博士研究生", "硕士研究生", "大学本科", "大学专科", "中等专科（含中技）", "高中", "初中及以下"]


def _person(education: str, title: str = T.NONE, *, rural: bool = False, popsci: bool = False) -> Person:
    return Person(name="测试", education=education, title=title, is_rural_expert=rural, is_popsci_leader=popsci)


def _education_or_title(person: Person, level: str):
    award = Award(name="奖", level="national", year=2024)
    return next(c for c in eligibility_check(person, level, awards=[award]) if c.key == "education_or_title")


def test_education_choices_follow_the_national_classification():
    assert [label for _value, label in E.choices] == NATIONAL_ORDER


# (level, lowest education that meets it, the education just below it)
EDUCATION_BOUNDARIES = [
    ("county", E.SECONDARY_VOCATIONAL, E.HIGH_SCHOOL),
    ("city", E.JUNIOR_COLLEGE, E.SECONDARY_VOCATIONAL),
    ("province", E.BACHELOR, E.JUNIOR_COLLEGE),
]


@pytest.mark.parametrize("level,lowest,below", EDUCATION_BOUNDARIES)
def test_the_lowest_education_of_a_level_meets_it_and_the_one_below_does_not(level, lowest, below):
    assert _education_or_title(_person(lowest), level).met
    assert not _education_or_title(_person(below), level).met


@pytest.mark.parametrize("level,lowest,below", EDUCATION_BOUNDARIES)
def test_every_education_above_the_boundary_meets_the_level(level, lowest, below):
    values = E.values
    for education in values[: values.index(lowest) + 1]:
        assert _education_or_title(_person(education), level).met, (level, education)
    for education in values[values.index(below):]:
        assert not _education_or_title(_person(education), level).met, (level, education)


def test_the_county_education_criterion_can_fail():
    """高中 and 初中及以下 do not meet "中专以上学历"; before the reclassification the lowest choice passed."""
    for education in (E.HIGH_SCHOOL, E.JUNIOR_HIGH_OR_BELOW, ""):
        criterion = _education_or_title(_person(education), "county")
        assert not criterion.met and not criterion.exempt, education


# (level, lowest title that meets it, the title just below it)
TITLE_BOUNDARIES = [
    ("county", T.JUNIOR, T.NONE),
    ("city", T.INTERMEDIATE, T.JUNIOR),
    ("province", T.INTERMEDIATE, T.JUNIOR),
]


@pytest.mark.parametrize("level,lowest,below", TITLE_BOUNDARIES)
def test_a_title_meets_the_level_without_the_education(level, lowest, below):
    assert _education_or_title(_person(E.JUNIOR_HIGH_OR_BELOW, lowest), level).met
    assert not _education_or_title(_person(E.JUNIOR_HIGH_OR_BELOW, below), level).met


def test_the_requirement_text_names_the_minimum_of_each_level():
    texts = {level: _education_or_title(_person(E.DOCTOR), level).requirement for level in ("county", "city", "province")}
    assert texts["county"] == "中等专科（含中技）及以上学历，或初级及以上职称"
    assert texts["city"] == "大学专科及以上学历，或中级及以上职称"
    assert texts["province"] == "大学本科及以上学历，或中级及以上职称"


@pytest.mark.parametrize("flags", [{"rural": True}, {"popsci": True}])
def test_rural_experts_and_popular_science_leaders_are_exempt_at_county_level_only(flags):
    person = _person(E.JUNIOR_HIGH_OR_BELOW, T.NONE, **flags)
    county = _education_or_title(person, "county")
    assert county.met and county.exempt, "the exemption is what lets them meet the county rule"
    for level in ("city", "province"):
        assert not _education_or_title(person, level).met, level


def test_the_exemption_is_not_shown_when_the_education_meets_the_rule_anyway():
    criterion = _education_or_title(_person(E.SECONDARY_VOCATIONAL, rural=True), "county")
    assert criterion.met and not criterion.exempt


def test_the_award_criterion_still_applies_to_exempt_people():
    person = _person(E.HIGH_SCHOOL, rural=True)
    award = next(c for c in eligibility_check(person, "county", awards=[]) if c.key == "award")
    assert not award.met


@pytest.mark.django_db(transaction=True)
def test_the_migration_maps_the_old_lowest_value_and_flags_the_person():
    """"中专及以下" becomes 中等专科（含中技） and the person is asked to confirm; other values stay as they were."""
    executor = MigrationExecutor(connection)
    before = [("members", "0012_verification_code_login_purpose")]
    after = [("members", "0013_education_national_classification")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("members", "Person")
    old.objects.create(name="旧中专", education="secondary")
    old.objects.create(name="旧本科", education="bachelor")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    mapped = Person.objects.get(name="旧中专")
    assert (mapped.education, mapped.education_unconfirmed) == (E.SECONDARY_VOCATIONAL, True)
    kept = Person.objects.get(name="旧本科")
    assert (kept.education, kept.education_unconfirmed) == (E.BACHELOR, False)


@pytest.mark.django_db
def test_the_profile_page_asks_a_flagged_person_once_and_saving_clears_the_flag(make_applicant, consented, client):
    person = make_applicant("待确认", education=E.SECONDARY_VOCATIONAL)
    Person.objects.filter(pk=person.pk).update(education_unconfirmed=True)
    consented(person.user)
    client.force_login(person.user)
    assert 'id="education-confirm"' in client.get("/me/").content.decode()
    page = client.get("/me/profile/").content.decode()
    assert 'id="education-confirm"' in page and "中等专科（含中技）" in page

    from members.services.people import person_profile_save

    person_profile_save(user=person.user, education=E.HIGH_SCHOOL)
    person.refresh_from_db()
    assert (person.education, person.education_unconfirmed) == (E.HIGH_SCHOOL, False)
    assert 'id="education-confirm"' not in client.get("/me/profile/").content.decode()
