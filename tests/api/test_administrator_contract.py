"""Contract test of the administrator side: a county brings its paper member list into the system through the
API alone (upload → status → error report → commit), finds the imported people in the member directory, and
the city above moves one of them to a sibling county. No response carries a full ID number."""

import csv
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orgs import permissions
from tests.api.conftest import Recorder
from tests.conftest import PASSWORD, valid_id_number
from tests.members.conftest import CENSUS_HEADER, census_row

pytestmark = pytest.mark.django_db

SERIALS = (61_001, 61_002, 61_003)


def _administrator(make_user, org, mobile):
    user = make_user(f"admin-{mobile}", mobile=mobile)
    permissions.grant_administer(user, org)
    return user


def _login(api, mobile) -> str:
    tokens = api.call("post", "/api/v1/auth/token/", data={"mobile": mobile, "password": PASSWORD}, format="json", expect=201)
    return tokens.json()["access_token"]


def _member_list_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CENSUS_HEADER)
    writer.writerows(census_row(n) for n in SERIALS)
    writer.writerow(census_row(61_099, 身份证号="130102198001011234"))  # wrong check digit
    return buffer.getvalue().encode("utf-8")


def test_census_upload_status_error_report_and_commit_through_the_api(
    make_user, county_a, county_b, city, django_capture_on_commit_callbacks
):
    api = Recorder()
    _administrator(make_user, county_a, "13700000011")
    _administrator(make_user, city, "13700000012")
    county = _login(api, "13700000011")

    # Upload (multipart; the check runs in the background after the request).
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    with django_capture_on_commit_callbacks(execute=True):
        uploaded = api.call(
            "post", f"/api/v1/orgs/{county_a.pk}/census/", county,
            data={"file": SimpleUploadedFile("名单.csv", _member_list_csv(), content_type="text/csv")},
            format="multipart", expect=201, headers=key,
        ).json()
    census_id = uploaded["id"]
    assert uploaded["org_id"] == county_a.pk and uploaded["original_name"] == "名单.csv"

    status = api.call("get", f"/api/v1/census/{census_id}/", county).json()
    assert status["status"] == "validated"
    assert (status["total_rows"], status["valid_rows"], status["error_rows"]) == (4, 3, 1)

    # The error report: the same file as the console's, the row as typed, its ID number masked, and why.
    report = api.call("get", f"/api/v1/census/{census_id}/errors/?file_format=csv", county)
    header, *rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert header[0] == "行号" and len(rows) == 1
    assert rows[0][1] == "会员61099" and rows[0][2].count("*") >= 4 and "身份证号" in rows[0][-1]
    workbook = api.call("get", f"/api/v1/census/{census_id}/errors/", county)
    assert workbook.content.startswith(b"PK")  # an .xlsx is a zip archive

    # Commit: accepted at once, done in the background; the status shows the result.
    with django_capture_on_commit_callbacks(execute=True):
        started = api.call("post", f"/api/v1/census/{census_id}/commit/", county, expect=202).json()
    assert started["status"] == "committing"
    done = api.call("get", f"/api/v1/census/{census_id}/", county).json()
    assert done["status"] == "committed" and done["imported_rows"] == 3
    refused = api.call("post", f"/api/v1/census/{census_id}/commit/", county, expect=400).json()
    assert refused["code"] == "rule_violation"

    # The imported people are in the directory, waiting to re-register.
    members = api.call("get", f"/api/v1/members/?org={county_a.pk}&status=pending_rereg", county).json()["results"]
    assert sorted(m["name"] for m in members) == [f"会员{n}" for n in SERIALS]

    # The city moves one of them to county B: a new number there, still to re-register.
    city_token = _login(api, "13700000012")
    moved = api.call(
        "post", f"/api/v1/members/{members[0]['id']}/transfer/", city_token,
        data={"target_org": county_b.pk, "comment": "工作调动"}, format="json", expect=201,
    ).json()
    assert moved["org_id"] == county_b.pk and moved["status"] == "pending_rereg"
    left = api.call("get", f"/api/v1/members/{members[0]['id']}/", county).json()
    assert left["status"] == "transferred"

    stored = [valid_id_number(n).encode() for n in SERIALS] + [b"130102198001011234"]
    assert not [b for b in api.bodies for number in stored if number in b], "a response carried a full ID number"
