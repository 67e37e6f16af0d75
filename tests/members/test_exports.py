"""Formula-looking text (=, +, -, @) is neutralised in every spreadsheet the system hands out."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kexie.excel import safe_cell
from members.models import Person
from members.services import census as census_services
from tests.members.conftest import census_row, csv_upload

FORMULAS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-3+4", "@SUM(A1)"]


@pytest.mark.parametrize("text", FORMULAS + ["\t=1", "\r=1"])
def test_safe_cell_neutralises_formula_prefixes(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["张三", "a=b", 42, -5, 3.5, None])
def test_safe_cell_leaves_other_values(value):
    assert safe_cell(value) == ("" if value is None else value)


def _cells_xlsx(content: bytes) -> list:
    workbook = load_workbook(io.BytesIO(content))
    return [c.value for ws in workbook.worksheets for row in ws.iter_rows() for c in row]


def _assert_no_formula(cells):
    texts = [c for c in cells if isinstance(c, str)]
    assert not [c for c in texts if c.startswith(("=", "+", "-", "@"))]


@pytest.mark.django_db
def test_member_export_neutralises_formulas(client, county_a, admin_a, make_members):
    members = make_members(county_a, len(FORMULAS))
    for member, text in zip(members, FORMULAS):
        Person.objects.filter(pk=member.person_id).update(name=text, employer=text)
    client.force_login(admin_a)
    cells = _cells_xlsx(client.get(reverse("console_members:member_export"), {"org": county_a.pk}).content)
    _assert_no_formula(cells)
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in cells


@pytest.mark.django_db
def test_census_error_reports_neutralise_formulas(client, county_a, admin_a):
    rows = [census_row(11_000 + i, 姓名=text, 工作单位=text, 手机号码="1") for i, text in enumerate(FORMULAS)]
    census = census_services.census_import_create(actor=admin_a, org=county_a, file=csv_upload(rows))
    census_services.census_validate(census_id=census.pk)
    client.force_login(admin_a)
    url = reverse("console_members:census_errors", args=[census.pk])
    cells = _cells_xlsx(client.get(url).content)
    _assert_no_formula(cells)
    assert "'@SUM(A1)" in cells
    text = client.get(url + "?format=csv").content.decode("utf-8-sig")
    csv_cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    _assert_no_formula(csv_cells)
    assert "'+1+2" in csv_cells


@pytest.mark.django_db
def test_annual_report_neutralises_formulas(client, county_a, admin_a):
    type(county_a).objects.filter(pk=county_a.pk).update(name="=cmd|' /C calc'!A0")
    client.force_login(admin_a)
    cells = _cells_xlsx(client.get(reverse("approvals:report_xlsx", args=[county_a.pk, 2026])).content)
    _assert_no_formula(cells)
    assert "'=cmd|' /C calc'!A0" in cells
