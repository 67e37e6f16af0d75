"""Every spreadsheet the system hands out goes through here, so no exported cell can run as a formula.

A value typed by a member or found in an imported list ("=HYPERLINK(...)", "+1-2", "@SUM(...)") would be
evaluated by Excel or WPS when the administrator opens the file (CSV/formula injection). Such text cells
are prefixed with an apostrophe, which both programs display as plain text.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.http import HttpResponse
from django.utils.translation import gettext as _

from kexie.downloads import file_download
from kexie.errors import DomainError

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


# --- reading uploaded spreadsheets -----------------------------------------------------------------------------
#
# An uploaded list is hostile until read: an .xlsx is a zip archive whose few kilobytes may expand to gigabytes,
# and openpyxl (even read_only) loads every part but the worksheets whole and keeps an emptied element per row it
# has streamed. So the archive's directory is checked first (declared sizes, which zipfile enforces while
# inflating, and ratios), then every XML part is scanned with expat, which builds no tree, against the row,
# column, cell-length and shared-string limits; only a file that passed reaches openpyxl, streaming.

# Excel itself stores at most 32,767 characters in a cell, 16,384 columns and 1,048,576 rows.
EXCEL_MAX_CELL_CHARS = 32_767
MAX_COLUMNS = 100
# CSV lines and the parts of an .xlsx that openpyxl loads whole are bounded so that the worst case stays well
# inside the 300 MB a web or worker process may use (docs/PERFORMANCE.md, "memory").
CSV_MAX_LINE_CHARS = 100_000
XLSX_MAX_MEMBERS = 500
# A 60,000-row sheet written with inline strings is about 31 MB; worksheets are streamed, so this bounds time.
XLSX_MAX_SHEET_BYTES = 128 * 1024 * 1024
# Shared strings are loaded whole: a 100,000-row list needs about 15 MB.
XLSX_MAX_SHARED_STRINGS_BYTES = 32 * 1024 * 1024
XLSX_MAX_SHARED_STRINGS = 500_000
# Styles, workbook, relationships, properties: kilobytes in real files, loaded whole.
XLSX_MAX_PART_BYTES = 8 * 1024 * 1024
XLSX_MAX_PART_ELEMENTS = 250_000
XLSX_MAX_TOTAL_BYTES = 256 * 1024 * 1024
# Real sheets compress about 13:1 (a 60,000-row list); deflate bombs reach 1,000:1.
XLSX_MAX_RATIO = 200
XLSX_RATIO_FLOOR_BYTES = 1024 * 1024
_SCAN_CHUNK = 64 * 1024
# Parts by their root element: worksheets are streamed, shared strings loaded whole, anything else loaded whole.
KIND_BYTE_LIMITS = {"worksheet": XLSX_MAX_SHEET_BYTES, "sst": XLSX_MAX_SHARED_STRINGS_BYTES}
XLSX_MAX_TOKEN_BYTES = 1024 * 1024


class SpreadsheetRefused(DomainError):
    """An uploaded spreadsheet that is not read, with the reason for the person who sent it."""


def _unreadable_xlsx() -> SpreadsheetRefused:
    return SpreadsheetRefused(_("无法读取 Excel 文件，请确认文件为 .xlsx 格式且未损坏"))


def _oversized_xlsx() -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("Excel 文件解压后的内容过大或压缩比异常，不是正常的名单文件；请在 Excel 中另存为新的 .xlsx 文件，或拆分后上传")
    )


def _too_many_rows(max_rows: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(_("文件行数超过上限 %(max)s 行，请拆分后上传") % {"max": max_rows - 1})


def _too_many_columns(row: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("第 %(row)s 行超过 %(max)s 列，请删除多余的列后上传") % {"row": row, "max": MAX_COLUMNS}
    )


def _cell_too_long(row: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("第 %(row)s 行有单元格超过 %(max)s 个字符，请检查后上传") % {"row": row, "max": EXCEL_MAX_CELL_CHARS}
    )


def xlsx_archive_check(fh) -> None:
    """Refuse an .xlsx whose zip directory promises trouble, before anything is inflated: not a zip, too many
    parts, a part or the whole too large once expanded, or compressed far beyond what real sheets allow."""
    import zipfile

    try:
        fh.seek(0)
        with zipfile.ZipFile(fh) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _unreadable_xlsx() from None
    finally:
        fh.seek(0)
    if len(members) > XLSX_MAX_MEMBERS:
        raise _oversized_xlsx()
    total = 0
    for info in members:
        limit = _part_byte_limit(info.filename)
        total += info.file_size
        if info.file_size > limit or total > XLSX_MAX_TOTAL_BYTES:
            raise _oversized_xlsx()
        if info.file_size > XLSX_RATIO_FLOOR_BYTES and info.file_size > XLSX_MAX_RATIO * max(info.compress_size, 1):
            raise _oversized_xlsx()


def _part_byte_limit(name: str) -> int:
    lowered = name.lower()
    if lowered.startswith("xl/worksheets/") and lowered.endswith(".xml"):
        return XLSX_MAX_SHEET_BYTES
    if lowered.endswith("sharedstrings.xml"):
        return XLSX_MAX_SHARED_STRINGS_BYTES
    return XLSX_MAX_PART_BYTES


class _PartScan:
    """One XML part read with expat (no tree kept): the limits of its kind, found from its root element —
    a worksheet's rows, columns and cell lengths, the shared strings' count and lengths, any other part's size."""

    def __init__(self, max_rows: int):
        from xml.parsers import expat

        self.max_rows = max_rows
        self.parser = expat.ParserCreate()
        # Text arrives in pieces of at most buffer_size characters, so a long one is counted, never held.
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        # A workbook part never declares a DTD; one that does is an entity-expansion attempt (as defusedxml).
        self.parser.StartDoctypeDeclHandler = self.refuse_doctype
        self.parser.EntityDeclHandler = self.refuse_doctype
        self.kind = ""
        self.elements = 0
        self.outside = 0
        self.rows = 0
        self.row = 0
        self.cells = 0
        self.column = 0
        self.in_data = False
        self.in_text = False  # inside a cell or a shared string, whose text runs are counted together
        self.chars = 0
        self.strings = 0
        self.last_event = 0

    def feed(self, stream) -> None:
        fed = 0
        while chunk := stream.read(_SCAN_CHUNK):
            self.parser.Parse(chunk, False)
            fed += len(chunk)
            # A tag or attribute is only reported once complete, and expat holds it meanwhile: a part where a
            # megabyte passes without an event is built to exhaust memory (real tags are a few dozen bytes).
            if fed - self.last_event > XLSX_MAX_TOKEN_BYTES:
                raise _oversized_xlsx()
            # The archive check went by the part's name; what counts is what the part is (its root element):
            # a stylesheet stored under xl/worksheets/ is still loaded whole.
            if fed > KIND_BYTE_LIMITS.get(self.kind, XLSX_MAX_PART_BYTES):
                raise _oversized_xlsx()
        self.parser.Parse(b"", True)

    def refuse_doctype(self, *args) -> None:
        raise SpreadsheetRefused(_("Excel 文件含有不允许的内容（文档类型声明），无法处理"))

    def start(self, name: str, attrs: dict) -> None:
        self.last_event = self.parser.CurrentByteIndex
        local = name.rpartition(":")[2]
        self.elements += 1
        if not self.kind:
            self.kind = local
        if not self.in_text:
            self.chars = 0
        if self.kind == "worksheet":
            if local == "sheetData":
                self.in_data = True
            elif local == "row" and self.in_data:
                self.rows += 1
                self.row = _int_or(attrs.get("r"), self.row + 1)
                self.cells = self.column = 0
                if self.rows > self.max_rows or self.row > self.max_rows:
                    raise _too_many_rows(self.max_rows)
            elif local == "c" and self.in_data:
                self.in_text, self.chars = True, 0
                self.cells += 1
                self.column = _column_of(attrs.get("r"), self.column + 1)
                if self.cells > MAX_COLUMNS or self.column > MAX_COLUMNS:
                    raise _too_many_columns(self.row)
            elif not self.in_data:
                # Outside the cells (column widths, merged cells, hyperlinks) openpyxl keeps what it reads.
                self.outside += 1
                if self.outside > XLSX_MAX_PART_ELEMENTS:
                    raise _oversized_xlsx()
        elif self.kind == "sst":
            if local == "si":
                self.in_text, self.chars = True, 0
                self.strings += 1
                if self.strings > XLSX_MAX_SHARED_STRINGS:
                    raise SpreadsheetRefused(
                        _("Excel 文件中的不同文字超过 %(max)s 条，请拆分后上传") % {"max": XLSX_MAX_SHARED_STRINGS}
                    )
        elif self.elements > XLSX_MAX_PART_ELEMENTS:
            raise _oversized_xlsx()

    def end(self, name: str) -> None:
        self.last_event = self.parser.CurrentByteIndex
        local = name.rpartition(":")[2]
        if local == "sheetData":
            self.in_data = False
        if local in ("c", "si"):
            self.in_text = False
        if not self.in_text:
            self.chars = 0

    def text(self, data: str) -> None:
        self.last_event = self.parser.CurrentByteIndex
        if self.kind not in ("worksheet", "sst"):
            return  # other parts are bounded by their size; long text there is not a cell
        self.chars += len(data)
        if self.chars > EXCEL_MAX_CELL_CHARS:
            if self.kind == "worksheet":
                raise _cell_too_long(self.row)
            raise SpreadsheetRefused(
                _("Excel 文件中有超过 %(max)s 个字符的文字，请检查后上传") % {"max": EXCEL_MAX_CELL_CHARS}
            )


def _int_or(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _column_of(reference, default: int) -> int:
    """The column number of a cell reference such as "XFD7" (its letters), or `default` without one."""
    if not reference:
        return default
    column = 0
    for ch in reference:
        if "A" <= ch <= "Z":
            column = column * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            column = column * 26 + ord(ch) - 96
        else:
            break
        if column > 16_384:
            break
    return column or default


def xlsx_parts_scan(fh, *, max_rows: int) -> None:
    """Read every XML part of an archive that passed xlsx_archive_check with expat, refusing the first limit
    broken. Memory stays at one 64 KB chunk and a few counters whatever the part holds."""
    import zipfile
    from xml.parsers.expat import ExpatError

    try:
        fh.seek(0)
        with zipfile.ZipFile(fh) as archive:
            for info in archive.infolist():
                if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                with archive.open(info) as stream:
                    _PartScan(max_rows).feed(stream)
    except (zipfile.BadZipFile, ExpatError, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        # zipfile stops inflating at the declared size and then finds the CRC wrong: a lying archive ends here.
        raise _unreadable_xlsx() from None
    finally:
        fh.seek(0)


def xlsx_rows(fh, *, max_rows: int) -> Iterator[tuple]:
    """The first worksheet's rows as tuples of cell values, streamed by openpyxl after both checks. The sheet's
    declared <dimension> is ignored (a sheet may claim a million rows it does not have)."""
    from openpyxl import load_workbook

    xlsx_archive_check(fh)
    xlsx_parts_scan(fh, max_rows=max_rows)
    try:
        workbook = load_workbook(fh, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a damaged or non-xlsx file
        raise _unreadable_xlsx() from None
    try:
        if not workbook.worksheets:
            raise _unreadable_xlsx()
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        for count, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            # The scan bounded both already; this holds even if openpyxl pads differently in a later version.
            if count > max_rows:
                raise _too_many_rows(max_rows)
            if len(row) > MAX_COLUMNS:
                raise _too_many_columns(count)
            yield row
    finally:
        workbook.close()


def _csv_encoding(fh) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK), whichever decodes the whole file, found
    while streaming it through an incremental decoder."""
    import codecs

    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        fh.seek(0)
        try:
            while chunk := fh.read(_SCAN_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            fh.seek(0)
        return encoding
    raise SpreadsheetRefused(_("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV 文件"))


def csv_rows(fh, *, max_rows: int) -> Iterator[list[str]]:
    """Rows of a CSV file, decoded and split while streaming: no line longer than CSV_MAX_LINE_CHARS is read
    whole, no more than `max_rows` rows and MAX_COLUMNS columns are accepted."""
    encoding = _csv_encoding(fh)
    text = io.TextIOWrapper(fh, encoding=encoding, newline="")
    position = {"line": 0}

    def lines():
        while True:
            line = text.readline(CSV_MAX_LINE_CHARS + 1)
            if not line:
                return
            position["line"] += 1
            if len(line) > CSV_MAX_LINE_CHARS:
                raise SpreadsheetRefused(
                    _("第 %(row)s 行过长（超过 %(max)s 个字符），请确认文件为规定格式的 CSV 文件")
                    % {"row": position["line"], "max": CSV_MAX_LINE_CHARS}
                )
            yield line

    try:
        for count, row in enumerate(csv.reader(lines()), start=1):
            if count > max_rows:
                raise _too_many_rows(max_rows)
            if len(row) > MAX_COLUMNS:
                raise _too_many_columns(count)
            yield row
    except csv.Error:
        raise SpreadsheetRefused(_("文件内容无法解析，请确认文件未损坏且为规定格式")) from None
    finally:
        # The wrapper must not close the file it was given; the caller owns it (and may have closed it already
        # when a generator left half-read is collected).
        try:
            text.detach()
        except ValueError:
            pass


def spreadsheet_rows(fh, filename: str, *, max_rows: int) -> Iterator[Sequence]:
    """Rows of an uploaded .xlsx or .csv (the header counts as a row), read in bounded memory or refused with
    a SpreadsheetRefused saying why."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return csv_rows(fh, max_rows=max_rows)
    if suffix == ".xlsx":
        return xlsx_rows(fh, max_rows=max_rows)
    raise SpreadsheetRefused(_("仅支持 .xlsx 或 .csv 格式的文件"))
