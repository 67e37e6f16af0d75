"""Census import: parse, preview with per-row errors, one-transaction commit, error report, re-registration."""

import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kexie.errors import DomainError
from members.models import CensusImport, CensusRow, MemberNumberCounter, Membership, Person
from members.selectors.census import census_campaign_progress
from members.services import census as census_services
from members.services.numbers import member_numbers_reserve
from orgs.models import AuditEvent
from tests.conftest import login_via_form, valid_id_number
from tests.members.conftest import census_row, csv_upload, xlsx_upload


def _bad_id(n: int) -> str:
    good = valid_id_number(n)
    return good[:17] + ("0" if good[17] != "0" else "1")


def _mixed_rows(existing_people):
    """10 good rows, 3 bad ID check digits, 2 in-file duplicates, 2 people already in the system."""
    good = [census_row(10_000 + i) for i in range(10)]
    bad = [census_row(20_000 + i, 身份证号=_bad_id(20_000 + i)) for i in range(3)]
    duplicates = [census_row(30_000 + i, 身份证号=good[i][1]) for i in range(2)]
    existing = [
        census_row(40_000 + i, 姓名=p.name, 身份证号=valid_id_number(int(p.user.username[3:]))) for i, p in enumerate(existing_people)
    ]
    return good + bad + duplicates + existing


@pytest.fixture
def existing_people(make_applicant):
    return [make_applicant("李四"), make_applicant("赵六")]


def _upload(client, org, upload):
    return client.post(reverse("console_members:census_upload", args=[org.pk]), {"file": upload})


@pytest.mark.django_db
def test_mixed_file_gives_exactly_ten_new_members_and_an_error_report(client, county_a, admin_a, existing_people, django_capture_on_commit_callbacks):
    assert login_via_form(client, "admin_a")
    people_before = Person.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, county_a, csv_upload(_mixed_rows(existing_people)))
    census = CensusImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("console_members:census_detail", args=[census.pk])
    assert (census.status, census.total_rows, census.valid_rows, census.error_rows) == ("validated", 17, 10, 7)

    preview = client.get(reverse("console_members:census_detail", args=[census.pk]) + "?show=errors").content.decode()
    assert "身份证号码校验位不正确" in preview
    assert "与第 2 行身份证号重复" in preview
    assert "该身份证号的人员已在系统中" in preview
    assert valid_id_number(10_000) not in preview  # the full ID never appears, only the masked one

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console_members:census_commit", args=[census.pk]))
    census.refresh_from_db()
    assert census.status == "committed" and census.imported_rows == 10
    assert Person.objects.count() == people_before + 10
    imported = Membership.objects.filter(org=county_a, status=Membership.Status.PENDING_REREGISTRATION)
    assert imported.count() == 10
    assert len(set(imported.values_list("number", flat=True))) == 10
    assert all(n.startswith(f"X{timezone.localdate().year}-{county_a.code}-") for n in imported.values_list("number", flat=True))
    # Every imported person is invited: SMS text ready, email sent to those with an address.
    rows = CensusRow.objects.filter(census=census, membership__isnull=False)
    assert all(r.invite_token and r.invite_token in r.sms_text for r in rows)
    assert len(mail.outbox) == 10 and all(r.emailed_at for r in rows)

    report = client.get(reverse("console_members:census_errors", args=[census.pk]))
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content)).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][0] == "行号" and len(lines) == 1 + 7
    assert all("*" in (line[2] or "") for line in lines[1:])  # masked ID numbers only
    csv_report = client.get(reverse("console_members:census_errors", args=[census.pk]) + "?format=csv")
    assert csv_report.content.decode("utf-8-sig").count("\n") == 8
    assert AuditEvent.objects.filter(action="export.census_errors").count() == 2


@pytest.mark.django_db
def test_xlsx_with_numeric_cells_and_gbk_csv_are_read(county_a, admin_a):
    row = census_row(10_100)
    row[2] = int(row[2])  # a mobile typed as a number in Excel
    census = census_services.census_import_create(actor=admin_a, org=county_a, file=xlsx_upload([row]))
    census = census_services.census_validate(census_id=census.pk)
    assert (census.status, census.valid_rows) == ("validated", 1)

    gbk = census_services.census_import_create(
        actor=admin_a, org=county_a, file=csv_upload([census_row(10_101)], encoding="gbk")
    )
    gbk = census_services.census_validate(census_id=gbk.pk)
    assert (gbk.valid_rows, gbk.rows.get().employer) == (1, "石家庄某研究院")


@pytest.mark.django_db
def test_missing_columns_and_fields_are_reported_in_chinese(county_a, admin_a):
    bad_header = census_services.census_import_create(
        actor=admin_a, org=county_a, file=csv_upload([["张三"]], header=["姓名"])
    )
    bad_header = census_services.census_validate(census_id=bad_header.pk)
    assert bad_header.status == "failed" and "身份证号" in bad_header.message

    census = census_services.census_import_create(
        actor=admin_a,
        org=county_a,
        file=csv_upload([census_row(10_200, 工作单位=""), census_row(10_201, 手机号码="12345"), census_row(10_202, 学历="留学")]),
    )
    census = census_services.census_validate(census_id=census.pk)
    errors = [r.errors for r in census.rows.order_by("row_number")]
    assert errors[0] == ["缺少工作单位"]
    assert "手机号码" in errors[1][0]
    assert "学历“留学”无法识别" in errors[2][0]


@pytest.mark.django_db
def test_a_wrong_file_type_is_refused_with_a_form_error(client, county_a, admin_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert login_via_form(client, "admin_a")
    response = _upload(client, county_a, SimpleUploadedFile("名单.pdf", b"%PDF-1.4"))
    assert response.status_code == 200
    assert "仅支持 .xlsx 或 .csv 格式的文件" in response.content.decode()
    assert not CensusImport.objects.exists()


@pytest.mark.django_db
def test_commit_is_all_or_nothing(county_a, admin_a, monkeypatch):
    census = census_services.census_import_create(
        actor=admin_a, org=county_a, file=csv_upload([census_row(10_300 + i) for i in range(3)])
    )
    census_services.census_validate(census_id=census.pk)
    census_services.census_commit_start(actor=admin_a, census=census)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Membership.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        census_services.census_commit(census_id=census.pk)
    assert not Person.objects.filter(name__startswith="会员103").exists()
    assert CensusImport.objects.get(pk=census.pk).status == "committing"


@pytest.mark.django_db
def test_member_numbers_are_reserved_as_one_contiguous_range(county_a):
    first = member_numbers_reserve(org=county_a, year=2026, count=3)
    second = member_numbers_reserve(org=county_a, year=2026, count=2)
    assert [n[-5:] for n in first + second] == ["00001", "00002", "00003", "00004", "00005"]
    assert MemberNumberCounter.objects.get(org=county_a, year=2026).last_value == 5


@pytest.fixture
def imported(county_a, admin_a):
    census = census_services.census_import_create(
        actor=admin_a, org=county_a, file=csv_upload([census_row(10_400), census_row(10_401)])
    )
    census_services.census_validate(census_id=census.pk)
    census_services.census_commit_start(actor=admin_a, census=census)
    census_services.census_commit(census_id=census.pk)
    return CensusRow.objects.filter(census=census).order_by("row_number")


@pytest.mark.django_db
def test_invited_person_reregisters_online_and_becomes_active(client, imported, county_a):
    row = imported[0]
    url = reverse("members:claim", args=[row.invite_token])
    page = client.get(url)
    assert page.status_code == 200 and row.name in page.content.decode()
    form = {
        "id_number": valid_id_number(10_400),
        "name": row.name,
        "mobile": "13811112222",
        "email": "",
        "employer": "改正后的单位",
        "education": "master",
        "title": "senior",
        "password1": "Rereg-pass-2026",
        "password2": "Rereg-pass-2026",
    }
    wrong = client.post(url, {**form, "id_number": valid_id_number(10_401)})
    assert "身份证号与名单不一致" in wrong.content.decode()
    assert 'value="改正后的单位"' in wrong.content.decode()  # what was typed is kept

    done = client.post(url, form)
    assert done.status_code == 302
    membership = Membership.objects.get(pk=row.membership_id)
    assert membership.status == Membership.Status.ACTIVE
    person = membership.person
    assert (person.user.username, person.employer, person.education) == ("13811112222", "改正后的单位", "master")
    assert client.get(url).status_code == 200 and "已完成重新登记" in client.get(url).content.decode()

    progress = {p.org.pk: (p.imported, p.reregistered, p.pending) for p in census_campaign_progress(county_a)}
    assert progress[county_a.pk] == (2, 1, 1)


@pytest.mark.django_db
def test_an_unknown_token_is_404(client):
    assert client.get(reverse("members:claim", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_status_endpoint_reports_progress(client, imported, admin_a):
    client.force_login(admin_a)
    census = imported[0].census
    data = client.get(reverse("console_members:census_status", args=[census.pk])).json()
    assert data["status"] == "committed" and data["done"] is True
    assert data["processed"] == data["total"] == 2


@pytest.mark.django_db
def test_commit_refuses_an_import_that_is_not_validated(imported, admin_a):
    with pytest.raises(DomainError):
        census_services.census_commit_start(actor=admin_a, census=imported[0].census)


@pytest.mark.django_db
def test_fellow_rows_beyond_the_cap_are_errors(county_a, admin_a):
    rows = [census_row(10_500 + i, 会员等级="会士" if i < 3 else "普通会员") for i in range(150)]
    census = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload(rows))
    census = census_services.census_validate(census_id=census.pk)
    # 150 members → 1 fellow place: the first 会士 row is accepted, the other two are refused.
    assert census.error_rows == 2
    assert all("会士名额已满" in r.errors[0] for r in census.rows.exclude(errors=[]))


@pytest.mark.django_db
def test_a_running_job_shows_a_polling_progress_bar(client, county_a, admin_a):
    census = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload([census_row(10_600)]))
    census_services.census_progress_set(census.pk, phase="validate", processed=500, total=60_000)
    client.force_login(admin_a)
    page = client.get(reverse("console_members:census_detail", args=[census.pk])).content.decode()
    assert 'id="census-bar"' in page and reverse("console_members:census_status", args=[census.pk]) in page
    status = client.get(reverse("console_members:census_status", args=[census.pk])).json()
    assert (status["done"], status["processed"], status["total"]) == (False, 500, 60_000)


@pytest.mark.django_db
def test_a_damaged_file_fails_visibly(county_a, admin_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    xlsx = census_services.census_import_create(actor=admin_a, org=county_a, file=SimpleUploadedFile("名单.xlsx", b"not a zip"))
    xlsx = census_services.census_validate(census_id=xlsx.pk)
    assert xlsx.status == "failed" and "无法读取 Excel 文件" in xlsx.message
    nul = census_services.census_import_create(actor=admin_a, org=county_a, file=SimpleUploadedFile("名单.csv", b"\xe5\xa7\x93\x00\x00,\n"))
    nul = census_services.census_validate(census_id=nul.pk)
    assert nul.status == "failed" and nul.message
