"""The fuzzer's oracle notices every broken rule (a check that cannot fail would prove nothing)."""

import pytest

from tests.conftest import valid_id_number
from tests.fuzz.oracle import HostileRequest, judge
from tests.fuzz.world import World


@pytest.fixture
def world(db, settings, county_a, make_applicant):
    settings.ROOT_URLCONF = "tests.fuzz.oracle_urls"
    person = make_applicant()
    from members.crypto import decrypt_id_number

    known = {decrypt_id_number(person.id_number_encrypted)}
    return World(users={"anonymous": None}, objects={"org": {"own": county_a.pk}}, tokens={}, id_numbers=known)


def _problems(world, method, path, *, query=(), body=(), passwords=()):
    return judge(world, "anonymous", HostileRequest(method, path, query=list(query), body=list(body)), passwords=passwords).problems


def test_a_refused_request_that_writes_is_reported(world):
    org = world.objects["org"]["own"]
    assert any("refused" in p and "wrote" in p for p in _problems(world, "GET", "/refused-but-wrote/", query=[("org", org)]))
    assert any("refused" in p for p in _problems(world, "GET", "/error-message-but-wrote/", query=[("org", org)]))


def test_a_write_rolled_back_inside_the_request_is_no_write(world):
    assert _problems(world, "GET", "/wrote-then-rolled-back/", query=[("org", world.objects["org"]["own"])]) == []


def test_nothing_written_by_one_example_survives_into_the_next(world):
    from orgs.models import Target

    _problems(world, "GET", "/refused-but-wrote/", query=[("org", world.objects["org"]["own"])])
    assert not Target.objects.exists()


def test_a_stored_id_number_in_the_response_is_reported(world):
    stored = next(iter(world.id_numbers))
    assert any("ID number" in p for p in _problems(world, "GET", "/leaks/"))
    # Typed into an ID-number field and shown again: reported; typed into a search box and kept: what was typed.
    assert any("ID number" in p for p in _problems(world, "GET", "/shows-typed/", query=[("id_number", stored)]))
    assert _problems(world, "GET", "/shows-typed/", query=[("q", stored)]) == []
    # A valid ID number nobody has stored is no leak.
    assert _problems(world, "GET", "/shows-typed/", query=[("id_number", valid_id_number(654_321))]) == []


def test_an_echoed_password_is_reported(world):
    assert any("password" in p for p in _problems(world, "POST", "/echoes/", body=[("password", "Secret-2026")], passwords=("Secret-2026",)))


def test_an_off_site_redirect_is_reported(world):
    assert any("off the site" in p for p in _problems(world, "GET", "/off-site/", query=[("next", "//evil.example/")]))
    assert _problems(world, "GET", "/off-site/", query=[("next", "/me/")]) == []


def test_an_exception_is_reported_with_where_it_happened(world):
    problems = _problems(world, "GET", "/crashes/")
    assert problems and "ValueError" in problems[0] and "oracle_urls.py" in problems[0]


def test_an_exception_after_a_write_says_what_was_written(world):
    problems = _problems(world, "GET", "/writes-then-crashes/", query=[("org", world.objects["org"]["own"])])
    assert problems and "ValueError" in problems[0] and "orgs_target" in problems[0]
