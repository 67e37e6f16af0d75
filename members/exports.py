"""The applicant's own data as downloads (JSON and Excel), built from members.selectors.person_data."""

import io
import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SECTION_TITLES = {
    "account": gettext_lazy("账号"),
    "profile": gettext_lazy("个人资料"),
    "awards": gettext_lazy("奖励与荣誉"),
    "applications": gettext_lazy("入会申请"),
    "memberships": gettext_lazy("会员资格"),
    "consents": gettext_lazy("个人信息授权"),
    "notices": gettext_lazy("通知"),
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
