"""A 60,000-row census file validates and commits as background jobs in bounded time (PostgreSQL)."""

import time

import pytest

from members.models import Membership
from members.services import census as census_services
from tests.members.conftest import census_row, xlsx_upload

ROWS = 60_000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixty_thousand_rows_import_in_bounded_time(hebei, county_a, make_admin):
    admin = make_admin(county_a, "volume_admin")
    upload = xlsx_upload([census_row(1_000_000 + i, 邮箱="") for i in range(ROWS)])
    started = time.monotonic()
    census = census_services.census_import_create(actor=admin, org=county_a, file=upload)
    census = census_services.census_validate(census_id=census.pk)
    validated = time.monotonic()
    assert (census.status, census.valid_rows) == ("validated", ROWS)
    census_services.census_commit_start(actor=admin, census=census)
    census = census_services.census_commit(census_id=census.pk)
    committed = time.monotonic()
    assert census.imported_rows == ROWS
    assert Membership.objects.filter(org=county_a, status="pending_rereg").count() == ROWS
    numbers = set(Membership.objects.filter(org=county_a).values_list("number", flat=True))
    assert len(numbers) == ROWS
    print(f"validate {validated - started:.1f}s, commit {committed - validated:.1f}s")
    # Generous bounds: the point is that no per-row lock or query sneaks in (that would take many minutes).
    assert validated - started < 240 and committed - validated < 240
