"""Member actions through the API (transfer, unit link, fee recording) and the census error report and commit:
the same forms and services as the console pages. An administrator of the subtree succeeds; an administrator
outside it gets 404 and a service token (whatever its scopes) 403, and neither writes anything; invalid input
answers validation_error or rule_violation with Chinese messages."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from members.models import CensusImport, CensusRow, FeePayment, Membership, UnitMember
from members.services import census as census_services
from members.services.api_sessions import api_session_open
from members.services.fees import fee_set
from members.services.units import unit_member_create
from orgs.models import AuditEvent
from orgs.services.service_tokens import service_token_create
from tests.api.conftest import bearer
from tests.conftest import valid_id_number
from tests.members.conftest import census_row, csv_upload

pytestmark = pytest.mark.django_db

YEAR = 2026


def _login(user) -> dict:
    """Bearer headers of a real mini-program sign-in of `user`."""
    _session, tokens = api_session_open(user=user)
    return bearer(tokens["access_token"])


def _all_scopes_token(admin, org) -> dict:
    _token, secret = service_token_create(
        actor=admin, org=org, name="报表系统", scopes=["read_progress", "read_members", "decide"],
        expires_at=timezone.now() + timedelta(days=30),
    )
    return bearer(secret)


def _state():
    """Everything the endpoints under test could write."""
    return (
        list(Membership.objects.order_by("pk").values_list("pk", "org_id", "status", "unit_id", "grade")),
        FeePayment.objects.count(),
        list(CensusImport.objects.order_by("pk").values_list("pk", "status", "imported_rows")),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def member(make_members, county_a):
    return make_members(county_a, 1)[0]


# --- transfer -------------------------------------------------------------------------------------------------


def test_a_city_administrator_transfers_a_member_between_its_counties_once_per_idempotency_key(
    api, city_admin, county_a, county_b, member
):
    """The old membership becomes 已转出, county B admits the person with its own new number; a retry with the
    same key answers the first result without a second transfer."""
    headers = {**_login(city_admin), "HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    url = f"/api/v1/members/{member.pk}/transfer/"
    first = api.post(url, {"target_org": county_b.pk, "comment": "工作调动"}, format="json", **headers)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["org_id"] == county_b.pk and body["id"] != member.pk and body["number"] != member.number
    assert body["status"] == "active" and body["id_number_masked"].count("*") == 8
    member.refresh_from_db()
    assert member.status == Membership.Status.TRANSFERRED
    new = Membership.objects.get(pk=body["id"])
    assert new.person_id == member.person_id and new.origin == Membership.Origin.TRANSFER
    assert set(AuditEvent.objects.filter(action__startswith="membership.transfer").values_list("action", flat=True)) == {
        "membership.transfer_out", "membership.transfer_in"
    }

    again = api.post(url, {"target_org": county_b.pk, "comment": "工作调动"}, format="json", **headers)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true" and again.json()["id"] == body["id"]
    assert Membership.objects.filter(person_id=member.person_id).count() == 2


def test_transfer_refusals_write_nothing(api, admin_a, admin_b, county_a, county_b, member):
    url = f"/api/v1/members/{member.pk}/transfer/"
    before = _state()
    outside = api.post(url, {"target_org": county_b.pk}, format="json", **_login(admin_b))
    assert outside.status_code == 404 and outside.json()["code"] == "not_found"
    token = api.post(url, {"target_org": county_b.pk}, format="json", **_all_scopes_token(admin_a, county_a))
    assert token.status_code == 403 and token.json()["code"] == "token_scope"
    headers = _login(admin_a)
    before = _state()

    # County A's administrator does not manage county B: not a valid choice, as on the page.
    foreign = api.post(url, {"target_org": county_b.pk}, format="json", **headers).json()
    assert foreign["code"] == "validation_error"
    assert foreign["fields"] == {"target_org": ["请选择您管理范围内的转入组织"]}
    missing = api.post(url, {"comment": "调动"}, format="json", **headers).json()
    assert missing["code"] == "validation_error" and missing["fields"]["target_org"] == ["这个字段是必填项。"]
    same = api.post(url, {"target_org": county_a.pk}, format="json", **headers)
    assert same.status_code == 400 and same.json() == {"code": "rule_violation", "message": "转入组织与当前组织相同"}
    assert _state() == before


# --- unit link --------------------------------------------------------------------------------------------------


def test_an_administrator_links_and_unlinks_a_member_to_a_unit_of_its_subtree(api, admin_a, county_a, member):
    unit = unit_member_create(actor=admin_a, org=county_a, name="井陉某公司", uscc="91130121MA0A1B2C3X", override_reason="与执照一致")
    headers = _login(admin_a)
    url = f"/api/v1/members/{member.pk}/unit/"
    linked = api.post(url, {"unit": unit.pk}, format="json", **headers)
    assert linked.status_code == 200, linked.content
    assert linked.json()["unit_id"] == unit.pk and linked.json()["unit"] == "井陉某公司"
    member.refresh_from_db()
    assert member.unit_id == unit.pk
    assert AuditEvent.objects.filter(action="membership.unit", data__unit_id=unit.pk).exists()

    unlinked = api.post(url, {"unit": None}, format="json", **headers)
    assert unlinked.status_code == 200 and unlinked.json()["unit_id"] is None
    member.refresh_from_db()
    assert member.unit_id is None


def test_units_of_an_org_are_listed_for_its_readers_and_read_members_tokens_of_its_subtree(
    api, admin_a, admin_b, city_admin, county_a, county_b, city
):
    own = unit_member_create(actor=admin_a, org=county_a, name="井陉某公司", uscc="91130121MA0A1B2C3X", override_reason="与执照一致")
    unit_member_create(actor=admin_b, org=county_b, name="某县某公司", uscc="91130122MA0A1B2C3X", override_reason="与执照一致")
    url = f"/api/v1/orgs/{county_a.pk}/units/"
    listed = api.get(url, **_login(admin_a))
    assert listed.status_code == 200
    assert [(u["id"], u["name"], u["org_id"]) for u in listed.json()["results"]] == [(own.pk, "井陉某公司", county_a.pk)]
    assert api.get(url, **_login(admin_b)).status_code == 404

    def token(creator, org, scopes):
        _token, secret = service_token_create(
            actor=creator, org=org, name="名册", scopes=scopes, expires_at=timezone.now() + timedelta(days=7)
        )
        return bearer(secret)

    # A city token reaches its counties; a county B token does not reach county A; the scope is read_members.
    assert [u["id"] for u in api.get(url, **token(city_admin, city, ["read_members"])).json()["results"]] == [own.pk]
    assert api.get(url, **token(admin_b, county_b, ["read_members"])).status_code == 404
    assert api.get(url, **token(admin_a, county_a, ["read_progress"])).json()["code"] == "token_scope"


def test_unit_link_refusals_write_nothing(api, admin_a, admin_b, county_a, county_b, member):
    own = unit_member_create(actor=admin_a, org=county_a, name="井陉某公司", uscc="91130121MA0A1B2C3X", override_reason="与执照一致")
    foreign = unit_member_create(actor=admin_b, org=county_b, name="某县某公司", uscc="91130122MA0A1B2C3X", override_reason="与执照一致")
    url = f"/api/v1/members/{member.pk}/unit/"
    token = _all_scopes_token(admin_a, county_a)
    headers = _login(admin_a)
    outside_headers = _login(admin_b)
    before = _state()

    assert api.post(url, {"unit": foreign.pk}, format="json", **outside_headers).status_code == 404
    refused = api.post(url, {"unit": own.pk}, format="json", **token)
    assert refused.status_code == 403 and refused.json()["code"] == "token_scope"
    # A unit of another county is not a choice for county A's administrator.
    other = api.post(url, {"unit": foreign.pk}, format="json", **headers).json()
    assert other["code"] == "validation_error" and other["fields"]["unit"] == ["请选择您管理范围内的团体会员单位"]
    UnitMember.objects.filter(pk=own.pk).update(status=UnitMember.Status.WITHDRAWN)
    withdrawn = api.post(url, {"unit": own.pk}, format="json", **headers)
    assert withdrawn.status_code == 400 and withdrawn.json() == {"code": "rule_violation", "message": "该团体会员已退会，不能关联"}
    assert _state() == before


# --- fee recording ------------------------------------------------------------------------------------------------


def test_an_administrator_records_a_fee_once_per_idempotency_key_and_once_per_year(api, admin_a, county_a, member):
    fee_set(actor=admin_a, org=county_a, category="regular", year=YEAR, amount=50)
    headers = {**_login(admin_a), "HTTP_IDEMPOTENCY_KEY": "fee-2026-first"}
    url = f"/api/v1/members/{member.pk}/fees/"
    first = api.post(url, {"year": YEAR, "kind": "paid", "paid_on": "2026-03-01"}, format="json", **headers)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["membership_id"] == member.pk and body["year"] == YEAR and body["kind"] == "paid"
    assert body["amount"] == "50.00" and body["paid_on"] == "2026-03-01"
    again = api.post(url, {"year": YEAR, "kind": "paid", "paid_on": "2026-03-01"}, format="json", **headers)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true" and again.json()["id"] == body["id"]
    assert FeePayment.objects.filter(membership=member).count() == 1

    # Another key is another request: the year is already recorded.
    second = api.post(url, {"year": YEAR, "kind": "paid"}, format="json", **_login(admin_a))
    assert second.status_code == 400
    assert second.json() == {"code": "rule_violation", "message": f"该会员 {YEAR} 年度的会费已登记"}
    assert FeePayment.objects.filter(membership=member).count() == 1


def test_fee_refusals_and_validation_errors_write_nothing(api, admin_a, admin_b, county_a, member):
    fee_set(actor=admin_a, org=county_a, category="regular", year=YEAR, amount=50)
    url = f"/api/v1/members/{member.pk}/fees/"
    token = _all_scopes_token(admin_a, county_a)
    headers = _login(admin_a)
    outside_headers = _login(admin_b)
    before = _state()

    assert api.post(url, {"year": YEAR, "kind": "paid"}, format="json", **outside_headers).status_code == 404
    assert api.post(url, {"year": YEAR, "kind": "paid"}, format="json", **token).json()["code"] == "token_scope"
    invalid = api.post(url, {"year": 1999, "kind": "cash"}, format="json", **headers)
    assert invalid.status_code == 400
    fields = invalid.json()["fields"]
    assert fields["year"] == ["确保该值大于或等于2000。"]
    assert fields["kind"] == ["选择一个有效的选项。 cash 不在可用的选项中。"]
    exempt = api.post(url, {"year": YEAR, "kind": "exempt"}, format="json", **headers)
    assert exempt.json() == {"code": "rule_violation", "message": "登记免缴时请填写免缴原因"}
    unset = api.post(url, {"year": YEAR + 1, "kind": "paid"}, format="json", **headers)
    assert unset.json() == {"code": "rule_violation", "message": f"尚未设置 {YEAR + 1} 年度该类别会员的会费标准"}
    assert _state() == before


# --- census error report and commit ------------------------------------------------------------------------------


@pytest.fixture
def validated_census(admin_a, county_a):
    census = census_services.census_import_create(
        actor=admin_a, org=county_a, file=csv_upload([census_row(60_001), census_row(60_002, 身份证号="12345")])
    )
    return census_services.census_validate(census_id=census.pk)


def test_the_error_report_is_the_console_file_and_shows_only_masked_id_numbers(
    api, admin_a, city_admin, staff, validated_census
):
    """The city above and provincial staff read the report as on the page; the export is audited."""
    url = f"/api/v1/census/{validated_census.pk}/errors/"
    for reader in (admin_a, city_admin, staff):
        report = api.get(url + "?file_format=csv", **_login(reader))
        assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
        assert len(lines) == 2 and lines[1][1] == "会员60002"
        assert lines[1][-1]  # the reason the row was refused
    workbook = api.get(url, **_login(admin_a))
    assert workbook.status_code == 200 and workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert [c.value for c in sheet[2]][1] == "会员60002"
    assert AuditEvent.objects.filter(action="export.census_errors", object_id=str(validated_census.pk)).count() == 4
    assert valid_id_number(60_001).encode() not in workbook.content


def test_census_report_and_commit_refusals_write_nothing(api, admin_a, admin_b, staff, county_a, validated_census):
    errors_url = f"/api/v1/census/{validated_census.pk}/errors/"
    commit_url = f"/api/v1/census/{validated_census.pk}/commit/"
    token = _all_scopes_token(admin_a, county_a)
    outside, reader, manager = _login(admin_b), _login(staff), _login(admin_a)
    before = _state()

    assert api.get(errors_url, **outside).status_code == 404
    assert api.post(commit_url, **outside).status_code == 404
    assert api.get(errors_url, **token).json()["code"] == "token_scope"
    assert api.post(commit_url, **token).json()["code"] == "token_scope"
    # Provincial staff read but never act: the commit is 404 to them, as the page's.
    assert api.post(commit_url, **reader).status_code == 404
    bad_format = api.get(errors_url + "?file_format=pdf", **manager)
    assert bad_format.status_code == 400
    assert bad_format.json()["fields"] == {"file_format": ["文件格式只能是 xlsx 或 csv"]}
    assert _state() == before


def test_a_commit_is_started_once_and_refused_when_the_list_is_not_ready(
    api, admin_a, validated_census, django_capture_on_commit_callbacks
):
    url = f"/api/v1/census/{validated_census.pk}/commit/"
    headers = {**_login(admin_a), "HTTP_IDEMPOTENCY_KEY": "commit-once"}
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(url, **headers)
    assert started.status_code == 202, started.content
    assert started.json()["status"] == "committing"
    validated_census.refresh_from_db()
    assert validated_census.status == CensusImport.Status.COMMITTED and validated_census.imported_rows == 1
    replay = api.post(url, **headers)
    assert replay.status_code == 202 and replay["Idempotent-Replayed"] == "true"
    again = api.post(url, **_login(admin_a))
    assert again.status_code == 400
    assert again.json() == {"code": "rule_violation", "message": "该名单当前状态为“已导入”，不能导入"}
    assert CensusRow.objects.filter(census=validated_census, membership__isnull=False).count() == 1


def test_census_uploads_through_the_api_share_the_pages_limit_per_administrator(api, admin_a, county_a, monkeypatch):
    """Each list is checked against every stored ID number: the API counts uploads like the page does."""
    from kexie.ratelimit import CENSUS_UPLOADS

    monkeypatch.setattr(CENSUS_UPLOADS, "limit", 1)
    headers = _login(admin_a)
    url = f"/api/v1/orgs/{county_a.pk}/census/"
    first = api.post(url, {"file": csv_upload([census_row(62_001)])}, format="multipart", **headers)
    assert first.status_code == 201
    before = _state()
    second = api.post(url, {"file": csv_upload([census_row(62_002)])}, format="multipart", **headers)
    assert second.status_code == 429
    assert second.json() == {"code": "rate_limited", "message": "短时间内上传的名单过多，请 60 分钟后再试"}
    assert _state() == before
