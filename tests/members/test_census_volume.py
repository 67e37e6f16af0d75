"""A 60,000-row census file validates and commits as background jobs with batched statements (PostgreSQL).

How fast is measured side by side in bench/ (census section); here the statement count proves that no per-row
query or lock sneaks in: one per row would be at least 60,000."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Membership
from members.services import census as census_services
from tests.members.conftest import census_row, xlsx_upload

ROWS = 60_000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixty_thousand_rows_import_in_batches(hebei, county_a, make_admin):
    admin = make_admin(county_a, "volume_admin")
    upload = xlsx_upload([census_row(1_000_000 + i, 邮箱="") for i in range(ROWS)])
    # Without a broker the jobs run as the upload and the commit request them; both are captured.
    with CaptureQueriesContext(connection) as validation:
        census = census_services.census_import_create(actor=admin, org=county_a, file=upload)
        census = census_services.census_validate(census_id=census.pk)
    assert (census.status, census.valid_rows) == ("validated", ROWS)
    with CaptureQueriesContext(connection) as commit:
        census_services.census_commit_start(actor=admin, census=census)
        census = census_services.census_commit(census_id=census.pk)
    assert census.imported_rows == ROWS
    assert Membership.objects.filter(org=county_a, status="pending_rereg").count() == ROWS
    numbers = set(Membership.objects.filter(org=county_a).values_list("number", flat=True))
    assert len(numbers) == ROWS
    print(f"statements: validate {len(validation)}, commit {len(commit)}")
    assert len(validation) < ROWS // 10, f"validation ran {len(validation)} statements for {ROWS} rows"
    assert len(commit) < ROWS // 10, f"the commit ran {len(commit)} statements for {ROWS} rows"
