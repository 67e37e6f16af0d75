"""Spreadsheets of members: one's own data (JSON and Excel, built from members.selectors.data_rights.person_data),
the member directory and a census error report.

Pure builders (rows in, bytes out); the services call them and audit the export in the same transaction. Cells
go through kexie.excel or cell_safe, so no exported text runs as a formula.
"""

import io
import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kexie.excel import Sheet, csv_bytes, workbook_bytes

# Sections of "my data"; the applications section is added by approvals (members.signals.person_data_collected).
SECTION_TITLES = {
    "account": gettext_lazy("账号"),
    "profile": gettext_lazy("个人资料"),
    "awards": gettext_lazy("奖励与荣誉"),
    "applications": gettext_lazy("入会申请"),
    "memberships": gettext_lazy("会员资格"),
    "consents": gettext_lazy("个人信息授权"),
    "notices": gettext_lazy("通知"),
    "accesses": gettext_lazy("谁查看了我的信息"),
}

# Spreadsheet programs execute cells starting with these as formulas (CSV/formula injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def person_data_json(data: dict) -> bytes:
    payload = {str(SECTION_TITLES[key]): value for key, value in data.items()}
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")


def person_data_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for key, value in data.items():
        sheet = workbook.create_sheet(str(SECTION_TITLES[key]))
        if isinstance(value, dict):
            # One record: field / value rows.
            sheet.append([_("项目"), _("内容")])
            for field, content in value.items():
                sheet.append([cell_safe(field), cell_safe(content)])
        else:
            headers = list(value[0]) if value else []
            sheet.append([cell_safe(h) for h in headers] or [_("（无）")])
            for row in value:
                sheet.append([cell_safe(row[h]) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width * 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


MEMBER_HEADER = [
    "会员编号", "姓名", "身份证号", "手机号码", "工作单位", "学历", "职称",
    "会员等级", "会员类别", "状态", "所属组织", "团体会员单位", "入会日期",
]

CENSUS_ERROR_HEADER = ["行号", "姓名", "身份证号", "手机号码", "工作单位", "学历", "职称", "会员等级", "邮箱", "错误"]


def members_workbook(memberships) -> tuple[bytes, int]:
    """The directory with the masked ID number only; returns the file and the number of rows written."""
    count = 0

    def rows():
        nonlocal count
        for m in memberships.iterator(chunk_size=2000):
            count += 1
            yield (
                m.number,
                m.person.name,
                m.person.id_number_masked,
                m.person.mobile,
                m.person.employer,
                m.person.get_education_display(),
                m.person.get_title_display(),
                m.get_grade_display(),
                m.get_category_display(),
                m.get_status_display(),
                m.org.name,
                m.unit.name if m.unit else "",
                m.joined_on,
            )

    content = workbook_bytes([Sheet("会员名册", MEMBER_HEADER, rows())])
    return content, count


def census_errors_file(error_rows, *, fmt: str) -> bytes:
    rows = (
        (r.row_number, r.name, r.id_number_masked, r.mobile, r.employer, r.education, r.title, r.grade, r.email, "；".join(r.errors))
        for r in error_rows.iterator(chunk_size=2000)
    )
    if fmt == "csv":
        return csv_bytes(CENSUS_ERROR_HEADER, rows)
    return workbook_bytes([Sheet("错误行", CENSUS_ERROR_HEADER, rows)])
