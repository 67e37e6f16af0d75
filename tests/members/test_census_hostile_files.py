"""Census uploads built to exhaust memory are refused with a Chinese explanation and leave nothing behind; a
list that merely claims a million rows is imported; a list of several chunks validates and commits streamed,
one chunk of rows at a time (kexie/excel.py, members/services/census.py)."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench import hostile_files
from kexie import excel
from members.models import CensusImport, CensusRow, Membership, Person
from members.services import census as census_services
from tests.members.conftest import census_row, csv_upload

TOO_LARGE = "解压后的内容过大或压缩比异常"


def _post(client, org, upload):
    return client.post(reverse("console_members:census_upload", args=[org.pk]), {"file": upload})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: hostile_files.sheet_bomb(excel.XLSX_MAX_SHEET_BYTES + (1 << 20)), TOO_LARGE),
        (lambda: hostile_files.shared_strings_bomb(excel.XLSX_MAX_SHARED_STRINGS_BYTES + (1 << 20)), TOO_LARGE),
        (hostile_files.not_a_zip, "无法读取 Excel 文件"),
    ],
    ids=["sheet-bomb", "shared-strings-bomb", "not-a-zip"],
)
def test_a_zip_bomb_or_a_non_zip_is_refused_by_the_upload_form_and_not_stored(client, county_a, admin_a, build, message):
    client.force_login(admin_a)
    response = _post(client, county_a, SimpleUploadedFile("名单.xlsx", build()))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CensusImport.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("build", "name", "message"),
    [
        (lambda: hostile_files.real_million_rows(3_000), "名单.xlsx", "文件行数超过上限 2000 行"),
        (lambda: hostile_files.long_cell(excel.EXCEL_MAX_CELL_CHARS + 1), "名单.xlsx", "第 2 行有单元格超过 32767 个字符"),
        (lambda: hostile_files.many_columns(columns=excel.MAX_COLUMNS + 1, rows=2), "名单.xlsx", "第 1 行超过 100 列"),
        (hostile_files.entity_expansion, "名单.xlsx", "文档类型声明"),
        (lambda: hostile_files.csv_single_line(2 << 20), "名单.csv", "第 1 行过长"),
    ],
    ids=["many-rows", "long-cell", "many-columns", "entity-expansion", "csv-endless-line"],
)
def test_a_hostile_sheet_fails_its_validation_with_the_reason_on_the_page_and_no_rows(
    client, county_a, admin_a, monkeypatch, django_capture_on_commit_callbacks, build, name, message
):
    monkeypatch.setattr(census_services, "MAX_ROWS", 2_000)
    client.force_login(admin_a)
    people = Person.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, county_a, SimpleUploadedFile(name, build()))
    census = CensusImport.objects.get()
    assert response.status_code == 302
    assert census.status == CensusImport.Status.FAILED and message in census.message
    assert not CensusRow.objects.exists() and Person.objects.count() == people
    page = client.get(reverse("console_members:census_detail", args=[census.pk])).content.decode()
    assert "名单无法处理" in page and message in page


@pytest.mark.django_db
def test_a_list_refused_after_some_chunks_were_written_leaves_no_row(county_a, admin_a, monkeypatch):
    """The limit is met only after three chunks of valid rows were stored: the validation is one transaction."""
    monkeypatch.setattr(census_services, "MAX_ROWS", 3 * census_services.BATCH + 10)
    rows = [census_row(200_000 + i) for i in range(3 * census_services.BATCH + 20)]
    census = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload(rows))
    census = census_services.census_validate(census_id=census.pk)
    assert census.status == CensusImport.Status.FAILED
    assert census.message == f"文件行数超过上限 {3 * census_services.BATCH + 10} 行，请拆分后上传"
    assert not CensusRow.objects.filter(census=census).exists()


@pytest.mark.django_db
def test_a_sheet_declaring_a_million_rows_imports_the_rows_it_has(county_a, admin_a):
    rows = [census_row(210_000 + i) for i in range(5)]
    upload = SimpleUploadedFile("名单.xlsx", hostile_files.declared_million_rows(rows))
    census = census_services.census_import_create(actor=admin_a, org=county_a, file=upload)
    census = census_services.census_validate(census_id=census.pk)
    assert (census.status, census.total_rows, census.valid_rows) == ("validated", 5, 5)


@pytest.mark.django_db
def test_a_list_of_several_chunks_is_validated_and_committed_one_chunk_at_a_time(
    county_a, admin_a, make_applicant, monkeypatch
):
    """Duplicates across chunks, people already in the system and 会士 beyond the cap are found as before;
    no query reads the list's rows without a LIMIT of one chunk."""
    monkeypatch.setattr(census_services, "BATCH", 100)
    existing = make_applicant("李四")
    from tests.conftest import valid_id_number

    rows = [census_row(220_000 + i, 会员等级="会士" if i in (5, 6, 7) else "普通会员") for i in range(350)]
    rows[250] = census_row(230_000, 身份证号=rows[3][1])  # chunk 3 repeats an ID number of chunk 1
    rows[320] = census_row(230_001, 手机号码=rows[10][2])  # chunk 4 repeats a mobile of chunk 1
    rows[330] = census_row(230_002, 姓名=existing.name, 身份证号=valid_id_number(int(existing.user.username[3:])))
    census = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload(rows))
    census = census_services.census_validate(census_id=census.pk)
    # 350 rows, 3 in error above; 347 valid → 3 会士 places, all three granted.
    assert (census.status, census.total_rows, census.error_rows) == ("validated", 350, 3)
    errors = {r.row_number: r.errors for r in census.rows.exclude(errors=[])}
    assert errors == {
        252: ["与第 5 行身份证号重复"],
        322: ["与第 12 行手机号码重复"],
        332: ["该身份证号的人员已在系统中，无需导入"],
    }

    census_services.census_commit_start(actor=admin_a, census=census)
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as queries:
        census = census_services.census_commit(census_id=census.pk)
        sent = census_services.census_invitations_email(census_id=census.pk)
    assert census.imported_rows == 347 and sent == 347 and len(mail.outbox) == 347
    imported = Membership.objects.filter(org=county_a, origin=Membership.Origin.CENSUS)
    assert imported.count() == 347 and imported.filter(grade=Membership.Grade.FELLOW).count() == 3
    assert len(set(imported.values_list("number", flat=True))) == 347
    assert CensusRow.objects.filter(census=census, membership__isnull=False).count() == 347
    table = CensusRow._meta.db_table
    row_reads = [q["sql"] for q in queries.captured_queries
                 if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"] and f'"{table}"."sms_text"' in q["sql"]]
    assert len(row_reads) >= 8  # 4 chunks to commit, 4 to mail, and the empty reads that end each loop
    assert all("LIMIT 100" in sql for sql in row_reads)


@pytest.mark.django_db
def test_the_fellow_cap_counts_the_whole_file_even_when_the_fellows_come_first(county_a, admin_a, monkeypatch):
    monkeypatch.setattr(census_services, "BATCH", 50)
    # 250 members → 2 places; five 会士 rows in the first chunk: two are granted, three refused.
    rows = [census_row(240_000 + i, 会员等级="会士" if i < 5 else "普通会员") for i in range(250)]
    census = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload(rows))
    census = census_services.census_validate(census_id=census.pk)
    refused = census.rows.exclude(errors=[]).order_by("row_number")
    assert [r.row_number for r in refused] == [4, 5, 6]
    assert all("会士名额已满" in r.errors[0] for r in refused)
