"""Spreadsheets of members: one's own data (JSON and Excel, built from members.selectors.data_rights.person_data),
the member directory, and the census's upload template, error report and follow-up list.

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


CENSUS_PEOPLE_HEADER = [
    "姓名", "身份证号", "手机号码", "邮箱", "工作单位", "会员编号", "组织", "名单文件",
    "重新登记状态", "邀请邮件发送时间", "重新登记时间", "短信内容",
]


def census_people_workbook(rows) -> tuple[bytes, int]:
    """Imported people and their re-registration, with the SMS text to send from an SMS platform."""
    from django.utils import timezone

    count = 0
    states = {"pending": _("待重新登记"), "reregistered": _("已重新登记")}

    def local(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    def lines():
        nonlocal count
        for r in rows.iterator(chunk_size=2000):
            count += 1
            state = r.reregistration_state
            yield (
                r.name, r.id_number_masked, r.mobile, r.email, r.employer, r.membership.number, r.census.org.name,
                r.census.original_name, states.get(state) or r.membership.get_status_display(),
                local(r.emailed_at), local(r.claimed_at), r.sms_text,
            )

    content = workbook_bytes([Sheet("重新登记", CENSUS_PEOPLE_HEADER, lines())])
    return content, count


def census_template_workbook(*, columns: list[str], example: list[str], notes: list[str]) -> bytes:
    """The census upload template: the columns and one example row on the first sheet (ID and mobile columns
    formatted as text, so a spreadsheet keeps all 18 digits), what goes in each column on the second."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "会员名单"
    sheet.append(columns)
    sheet.append([cell_safe(v) for v in example])
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[letter].width = 24 if column in ("身份证号", "工作单位", "邮箱", "姓名") else 14
        if column in ("身份证号", "手机号码"):
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("填写说明")
    guide.append([_("列名"), _("填写要求")])
    for column, note in zip(columns, notes):
        guide.append([column, cell_safe(note)])
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 80
    for cell in guide[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
