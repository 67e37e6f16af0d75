"""Every spreadsheet the system hands out goes through here, so no exported cell can run as a formula.

A value typed by a member or found in an imported list ("=HYPERLINK(...)", "+1-2", "@SUM(...)") would be
evaluated by Excel or WPS when the administrator opens the file (CSV/formula injection). Such text cells
are prefixed with an apostrophe, which both programs display as plain text.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from django.http import HttpResponse

from kexie.downloads import file_download

# Tab and carriage return also start formulas in some spreadsheet programs (OWASP CSV injection guidance).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """The value as it may be written to a cell: formula-looking text is neutralised, other values pass."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)) or hasattr(value, "quantize") or hasattr(value, "isoformat"):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence]


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook

    # write_only streams rows, so a 60,000-line export does not hold every cell object in memory.
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        ws = workbook.create_sheet(title=sheet.title[:31])
        ws.append([safe_cell(h) for h in sheet.header])
        for row in sheet.rows:
            ws.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, content: bytes) -> HttpResponse:
    """An already built workbook (from a service that audited the export) as a download."""
    return file_download(content, filename=filename, content_type=XLSX_CONTENT_TYPE)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    # The BOM makes Excel on Chinese Windows open UTF-8 instead of guessing GBK.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_attachment(filename: str, content: bytes) -> HttpResponse:
    return file_download(content, filename=filename, content_type="text/csv; charset=utf-8")


def filters_for_audit(cleaned_data: dict) -> dict[str, str]:
    """The filters an export was made with, as the audit row records them (empty ones left out)."""
    return {k: str(v) for k, v in cleaned_data.items() if v not in (None, "", False)}
