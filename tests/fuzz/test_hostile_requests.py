"""The project fuzzes itself: every URL pattern and every form field, with hostile values, as each role.

For each role the test builds the world (tests/fuzz/world.py), opens every page with in-scope ids (each answer
judged), collects the forms of the rendered HTML and the request bodies of the REST API's schema, then runs
hypothesis over every URL (methods, path ids in and out of scope, missing, huge; hostile query strings, form
and JSON bodies; no CSRF token; hostile headers) and, as the roles that reach every form between them, over
every form field (that field hostile, the others plausible). The rules each answer must keep are in
tests/fuzz/oracle.py. Failures are collected across the whole run and reported together, each with the
request that caused it.
"""

import os
from pathlib import Path

import pytest

from tests.fuzz.discovery import project_routes
from tests.fuzz.probes import RoleFuzz
from tests.fuzz.world import ROLES, build_world

MAX_REPORTED = 40
# Field by field as these roles: together they reach every form (the public ones, the applicant's and, managing
# the whole tree, every console form). The other roles see some of the same forms; they get every URL.
FIELD_ROLES = ("anonymous", "applicant", "province_admin")
MIN_PAGES = {"anonymous": 5, "applicant": 15, "staff": 15, **{r: 25 for r in ROLES if r.endswith("admin")}}


@pytest.fixture
def eager_tasks_propagate():
    """Background jobs started by a request (census validation, notices) run in-process; their failures count."""
    from kexie.celery import app

    before = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_eager_propagates = before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_hostile_requests_change_nothing_and_leak_nothing(role, request, eager_tasks_propagate):
    """As `role`, no hostile request answers 5xx, a refused one changes no table, none shows a full ID number
    or a typed password, and no redirect leaves the site."""
    world = build_world(request)
    run = RoleFuzz(world=world, role=role, routes=project_routes(), field_by_field=role in FIELD_ROLES)
    run.discover()
    # A role redirected everywhere (to a login, a password change, a second factor) would test nothing.
    assert run.pages >= MIN_PAGES[role], f"only {run.pages} pages answered 200 as {role}"
    for route in run.routes:
        run.fuzz_route(route)
    if run.field_by_field:
        for form in list(run.forms.values()):
            for field in form.fields:
                if field.name != "csrfmiddlewaretoken":
                    run.fuzz_form_field(form, field)
    unique = list(dict.fromkeys(run.failures))
    report_path = os.environ.get("KEXIE_FUZZ_REPORT")
    if report_path:  # every failure, for reading at leisure (the assertion shows the first MAX_REPORTED)
        with Path(report_path).open("a", encoding="utf-8") as fh:
            fh.writelines(f"{line}\n" for line in unique)
    report = "\n".join(unique[:MAX_REPORTED])
    more = f"\n... and {len(unique) - MAX_REPORTED} more" if len(unique) > MAX_REPORTED else ""
    assert not unique, f"{len(unique)} failures in {run.requests} requests as {role}:\n{report}{more}"
