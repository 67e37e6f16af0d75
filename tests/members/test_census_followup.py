"""After a census import: the template to fill in, the list of imported people with their re-registration,
its filters and export, re-sending the invitation to one or all who have not answered, and pages that say
which stage an import is at."""

import io

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from members.models import CensusImport, CensusRow, Membership
from members.services import census as census_services
from orgs.models import AuditEvent
from tests.conftest import login_via_form, valid_id_number
from tests.members.conftest import census_row, csv_upload, xlsx_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(county_a, admin_a, django_capture_on_commit_callbacks):
    """Four people imported into county A: 0 re-registered, 1 and 2 pending (2 without an email), 3 lapsed."""
    rows = [census_row(81_000 + i) for i in range(4)]
    rows[2][7] = ""
    with django_capture_on_commit_callbacks(execute=True):
        census = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload(rows, name="普查名单.csv"))
    with django_capture_on_commit_callbacks(execute=True):
        census_services.census_commit_start(actor=admin_a, census=census)
    census.refresh_from_db()
    people = list(census.rows.order_by("row_number"))
    census_services.census_claim(
        token=people[0].invite_token, id_number=valid_id_number(81_000), password="Kexie-2026-ok",
        mobile=people[0].mobile, name=people[0].name, employer="某单位", education="bachelor", title="intermediate",
    )
    Membership.objects.filter(pk=people[3].membership_id).update(status=Membership.Status.LAPSED)
    mail.outbox.clear()
    return census, people


def _people(client, org, **params):
    return client.get(reverse("console_members:census_people", args=[org.pk]), params)


def test_the_template_has_the_columns_an_example_row_and_a_guide(client, admin_a):
    assert login_via_form(client, "admin_a")
    response = client.get(reverse("console_members:census_template"))
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["会员名单"]
    header, example = [[c.value for c in row] for row in sheet.iter_rows(max_row=2)]
    assert header == ["姓名", "身份证号", "手机号码", "工作单位", "学历", "职称", "会员等级", "邮箱"]
    assert example[0].startswith("张三（示例") and example[1] == census_services.TEMPLATE_EXAMPLE["身份证号"]
    assert sheet["B2"].number_format == "@"  # the ID column keeps 18 digits as text
    assert [c.value for c in workbook["填写说明"]["A"]][1:] == header


def test_the_template_uploaded_with_its_example_row_imports_nothing_from_that_row(county_a, admin_a, django_capture_on_commit_callbacks):
    example = [census_services.TEMPLATE_EXAMPLE[c] for c in ("姓名", "身份证号", "手机号码", "工作单位", "学历", "职称", "会员等级", "邮箱")]
    with django_capture_on_commit_callbacks(execute=True):
        census = census_services.census_import_create(
            actor=admin_a, org=county_a, file=xlsx_upload([example, census_row(82_001)])
        )
    census.refresh_from_db()
    assert (census.total_rows, census.valid_rows) == (1, 1)
    assert list(census.rows.values_list("name", flat=True)) == ["会员82001"]


def test_the_follow_up_lists_imported_people_with_their_state_and_filters(client, admin_a, county_a, imported):
    census, people = imported
    assert login_via_form(client, "admin_a")
    page = _people(client, county_a).content.decode()
    for row in people:
        assert row.name in page
    assert "已重新登记" in page and "待重新登记" in page and "已失效" in page
    assert valid_id_number(81_001) not in page
    pending = _people(client, county_a, state="pending").context["page"]
    assert [r.name for r in pending] == [people[1].name, people[2].name]
    assert [r.name for r in _people(client, county_a, state="reregistered").context["page"]] == [people[0].name]
    assert [r.name for r in _people(client, county_a, state="ended").context["page"]] == [people[3].name]
    assert [r.name for r in _people(client, county_a, q=people[2].mobile).context["page"]] == [people[2].name]
    assert _people(client, county_a, census=census.pk).context["page"].paginator.count == 4


def test_an_import_of_another_organisation_is_404_as_a_filter(client, admin_a, county_a, county_b, admin_b, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        other = census_services.census_import_create(actor=admin_b, org=county_b, file=csv_upload([census_row(83_001)]))
    with django_capture_on_commit_callbacks(execute=True):
        census_services.census_commit_start(actor=admin_b, census=other)
    assert login_via_form(client, "admin_a")
    assert _people(client, county_a, census=other.pk).status_code == 404


def test_the_follow_up_list_query_count_does_not_grow_with_the_people(
    client, admin_a, county_a, imported, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    assert login_via_form(client, "admin_a")
    _people(client, county_a)
    with django_assert_max_num_queries(20) as few:
        _people(client, county_a)
    with django_capture_on_commit_callbacks(execute=True):
        more = census_services.census_import_create(
            actor=admin_a, org=county_a, file=csv_upload([census_row(85_000 + i) for i in range(8)])
        )
    with django_capture_on_commit_callbacks(execute=True):
        census_services.census_commit_start(actor=admin_a, census=more)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = _people(client, county_a)
    assert response.context["page"].paginator.count == 12


def test_the_export_has_masked_ids_states_and_the_sms_text_and_is_audited(client, admin_a, county_a, imported):
    census, people = imported
    assert login_via_form(client, "admin_a")
    response = client.get(reverse("console_members:census_people_export", args=[county_a.pk]), {"state": "pending"})
    assert response.status_code == 200
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(response.content)).active.iter_rows()]
    assert rows[0][:3] == ["姓名", "身份证号", "手机号码"]
    assert [r[0] for r in rows[1:]] == [people[1].name, people[2].name]
    assert all("********" in r[1] for r in rows[1:])
    assert all(r[8] == "待重新登记" for r in rows[1:])
    assert rows[2][-1] == people[2].sms_text and "/rereg/" in rows[2][-1]
    event = AuditEvent.objects.get(action="export.census_people")
    assert event.data["rows"] == 2 and event.data["filters"] == {"state": "pending"}


def test_resending_to_all_pending_emails_those_with_an_address_and_counts_the_rest(
    client, admin_a, county_a, imported, django_capture_on_commit_callbacks
):
    census, people = imported
    assert login_via_form(client, "admin_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console_members:census_resend", args=[county_a.pk]), {"filters": "state=pending"}, follow=True
        )
    assert [m.to for m in mail.outbox] == [[people[1].email]]
    assert people[1].sms_text in mail.outbox[0].body
    page = response.content.decode()
    assert "已重新发送 1 份邀请邮件" in page and "1 人没有邮箱" in page
    assert response.redirect_chain[-1][0].endswith("?state=pending")
    event = AuditEvent.objects.get(action="census.resend")
    assert event.data == {"rows": 2, "emailed": 1}
    assert CensusRow.objects.get(pk=people[1].pk).emailed_at is not None


def test_resending_to_one_person_emails_only_them_and_never_a_reregistered_one(
    client, admin_a, county_a, imported, django_capture_on_commit_callbacks
):
    census, people = imported
    assert login_via_form(client, "admin_a")
    url = reverse("console_members:census_resend", args=[county_a.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"filters": "", "row": people[1].pk})
    assert [m.to for m in mail.outbox] == [[people[1].email]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"filters": "", "row": people[0].pk}, follow=True)
    assert mail.outbox == []
    assert "没有需要重新发送邀请的人员" in response.content.decode()


def test_staff_see_the_follow_up_but_cannot_resend(client, staff, county_a, imported):
    client.force_login(staff)
    page = _people(client, county_a).content.decode()
    assert "重新发送邀请" not in page
    assert client.post(reverse("console_members:census_resend", args=[county_a.pk]), {"filters": ""}).status_code == 404


def test_the_census_page_is_titled_by_stage_and_announces_a_finished_commit_once(
    client, admin_a, county_a, django_capture_on_commit_callbacks
):
    assert login_via_form(client, "admin_a")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console_members:census_upload", args=[county_a.pk]), {"file": csv_upload([census_row(84_001)])})
    census = CensusImport.objects.get()
    detail = reverse("console_members:census_detail", args=[census.pk])
    page = client.get(detail).content.decode()
    assert "<h1>核对名单，确认导入</h1>" in page and "名单预览" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console_members:census_commit", args=[census.pk]))
    page = client.get(detail).content.decode()
    assert "<h1>导入完成</h1>" in page
    assert "导入完成：1 人已列入会员名册" in page
    assert reverse("console_members:census_people", args=[county_a.pk]) + f"?census={census.pk}" in page
    assert "导入完成：1 人已列入会员名册" not in client.get(detail).content.decode()
