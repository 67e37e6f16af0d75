"""The audit console: scoped to the reader's subtree, filtered, labelled in Chinese, exported with an audit row,
and verified by the 审计管理员."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from orgs.models import AuditEvent
from orgs.services.audit import audit_record
from tests.orgs.test_audit_chain import tamper


@pytest.fixture
def trail(county_a, county_b, other_county, admin_a, make_applicant):
    applicant = make_applicant("审计样本").user
    return {
        "a": audit_record(actor=admin_a, action="target.set", obj=county_a, org=county_a, comment="县A"),
        "b": audit_record(actor=admin_a, action="org.close", obj=county_b, org=county_b, comment="县B"),
        "other": audit_record(actor=admin_a, action="target.set", obj=other_county, org=other_county, comment="外市"),
        "person": audit_record(actor=applicant, action="person.update", obj=applicant, comment="无组织"),
    }


def _ids(response) -> set[int]:
    return {e.pk for e in response.context["page"]}


@pytest.mark.django_db
def test_the_audit_officer_reads_its_subtree_only(client, audit_officer, trail):
    client.force_login(audit_officer)
    response = client.get(reverse("orgs:audit_list"))
    assert response.status_code == 200
    ids = _ids(response)
    assert {trail["a"].pk, trail["b"].pk} <= ids
    assert trail["other"].pk not in ids and trail["person"].pk not in ids  # another city; no org (province-wide)
    body = response.content.decode()
    assert "修改年度目标" in body and "暂停接受入会申请" in body and ">target.set<" not in body


@pytest.mark.django_db
def test_a_province_audit_officer_also_reads_rows_without_an_organisation(client, make_officer, province, trail):
    client.force_login(make_officer("audit_admin_org", province))
    response = client.get(reverse("orgs:audit_list"))
    ids = _ids(response)
    assert {trail["a"].pk, trail["other"].pk, trail["person"].pk} <= ids
    # An applicant's username is their mobile number: the console masks it.
    mobile = trail["person"].actor.username
    body = response.content.decode()
    assert mobile not in body and f"{mobile[:3]}****{mobile[-4:]}" in body


@pytest.mark.django_db
def test_an_administrator_reads_its_own_subtree_and_staff_reads_nothing(client, admin_a, staff, trail):
    client.force_login(admin_a)
    assert _ids(client.get(reverse("orgs:audit_list"))) >= {trail["a"].pk}
    assert trail["b"].pk not in _ids(client.get(reverse("orgs:audit_list")))
    client.force_login(staff)
    assert client.get(reverse("orgs:audit_list")).status_code == 404


@pytest.mark.django_db
def test_filters_by_time_actor_action_org_and_object(client, audit_officer, admin_a, county_a, county_b, trail):
    client.force_login(audit_officer)
    url = reverse("orgs:audit_list")
    assert _ids(client.get(url, {"action": "org.close"})) == {trail["b"].pk}
    assert _ids(client.get(url, {"org": county_a.pk})) >= {trail["a"].pk}
    assert trail["b"].pk not in _ids(client.get(url, {"org": county_a.pk}))
    assert _ids(client.get(url, {"actor": "admin_a", "object_type": "orgs.org", "object_id": str(county_b.pk)})) == {
        trail["b"].pk
    }
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert _ids(client.get(url, {"date_from": tomorrow.isoformat()})) == set()
    assert trail["a"].pk in _ids(client.get(url, {"date_to": timezone.localdate().isoformat()}))


@pytest.mark.django_db
def test_an_organisation_outside_the_scope_is_404(client, audit_officer, other_county, trail):
    client.force_login(audit_officer)
    assert client.get(reverse("orgs:audit_list"), {"org": other_county.pk}).status_code == 404
    assert client.get(reverse("orgs:audit_export", args=["csv"]), {"org": other_county.pk}).status_code == 404


@pytest.mark.django_db
def test_the_list_reads_a_constant_number_of_queries(client, audit_officer, county_a, django_assert_num_queries):
    """One page of 3 rows and one of 50 read the same number of queries (no query per row)."""
    def write(n):
        for i in range(n):
            audit_record(actor=audit_officer, action="target.set", obj=county_a, org=county_a, comment=str(i))

    client.force_login(audit_officer)
    client.get(reverse("orgs:audit_list"))  # the session's first request also writes it
    write(3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("orgs:audit_list")).status_code == 200
    write(60)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(reverse("orgs:audit_list")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_is_itself_audited(client, audit_officer, county_a, trail, file_format):
    client.force_login(audit_officer)
    response = client.get(reverse("orgs:audit_export", args=[file_format]), {"org": county_a.pk})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if file_format == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        rows = [[str(c) if c is not None else "" for c in r] for r in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]
    assert rows[0][:3] == ["时间", "操作人", "操作"]
    assert any(r[2] == "修改年度目标" and r[6] == "县A" for r in rows[1:])
    assert not any(r[6] == "县B" for r in rows[1:])
    export = AuditEvent.objects.get(action="export.audit")
    assert export.actor == audit_officer and export.data["format"] == file_format and export.data["rows"] == len(rows) - 1
    assert export.org == county_a


@pytest.mark.django_db
def test_the_verify_page_names_the_first_broken_link(client, audit_officer, trail):
    client.force_login(audit_officer)
    response = client.post(reverse("orgs:audit_verify"))
    assert "审计记录完整" in response.content.decode()
    tamper("UPDATE orgs_auditevent SET comment = %s WHERE id = %s", ["改过", trail["b"].pk])
    body = client.post(reverse("orgs:audit_verify")).content.decode()
    assert f"第一处断链：第 {trail['b'].pk} 号记录" in body
    assert AuditEvent.objects.filter(action="audit.verify", data__intact=False).exists()


@pytest.mark.django_db
def test_only_the_audit_officer_verifies(client, admin_a, security_officer):
    for user in (admin_a, security_officer):
        client.force_login(user)
        assert client.get(reverse("orgs:audit_verify")).status_code == 404
