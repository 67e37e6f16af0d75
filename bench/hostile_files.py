"""Spreadsheets built to exhaust a reader, for the memory benchmark and the tests of kexie/excel.py.

Each is written part by part (the parts of a minimal .xlsx: content types, relationships, workbook, sheet,
optionally shared strings) and streamed into the zip, so even a sheet that expands to gigabytes is built in
a few megabytes of memory.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Iterable, Iterator

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XLSX_HEADER = ["姓名", "身份证号", "手机号码", "工作单位", "学历", "职称", "会员等级", "邮箱"]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _column(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def row_xml(number: int, values: Iterable) -> str:
    cells = []
    for col, value in enumerate(values, start=1):
        ref = f"{_column(col)}{number}"
        if isinstance(value, (int, float)):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{_escape(str(value))}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def _static_parts(shared_strings: bool) -> dict[str, str]:
    overrides = (
        f'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        f'spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        f'officedocument.spreadsheetml.worksheet+xml"/>'
    )
    workbook_rels = f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    if shared_strings:
        overrides += (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        workbook_rels += f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
    return {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{CT_NS}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">{workbook_rels}</Relationships>'
        ),
    }


def xlsx_bytes(sheet: Iterable[str], *, dimension: str = "", shared_strings: Iterable[str] | None = None,
               prologue: str = "", after_data: Iterable[str] = ()) -> bytes:
    """An .xlsx whose first sheet's <sheetData> is the concatenation of `sheet` (row XML, or anything), followed
    by `after_data`, and whose shared-strings part, when given, holds the `shared_strings` pieces. Parts are
    streamed into the archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in _static_parts(shared_strings is not None).items():
            archive.writestr(name, text)
        _stream_part(
            archive,
            "xl/worksheets/sheet1.xml",
            [
                f'<?xml version="1.0" encoding="UTF-8"?>{prologue}<worksheet xmlns="{MAIN_NS}">',
                f'<dimension ref="{dimension}"/>' if dimension else "",
                "<sheetData>",
            ],
            itertools.chain(sheet, ["</sheetData>"], after_data),
            ["</worksheet>"],
        )
        if shared_strings is not None:
            _stream_part(
                archive, "xl/sharedStrings.xml", [f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'],
                shared_strings, ["</sst>"],
            )
    return buffer.getvalue()


def _stream_part(archive: zipfile.ZipFile, name: str, head: list[str], body: Iterable[str], tail: list[str]) -> None:
    with archive.open(name, "w", force_zip64=True) as part:
        pending: list[str] = []
        size = 0
        for piece in (*head, *body, *tail):
            pending.append(piece)
            size += len(piece)
            if size > 1 << 20:
                part.write("".join(pending).encode("utf-8"))
                pending, size = [], 0
        part.write("".join(pending).encode("utf-8"))


def census_sheet_rows(rows: Iterable[list]) -> Iterator[str]:
    """Row XML of a census list: the header, then `rows`."""
    yield row_xml(1, XLSX_HEADER)
    for number, values in enumerate(rows, start=2):
        yield row_xml(number, values)


def _repeat(piece: str, total_bytes: int) -> Iterator[str]:
    block = piece * max(1, (1 << 20) // len(piece))
    for _ in range(max(1, total_bytes // len(block))):
        yield block


# --- the hostile files ----------------------------------------------------------------------------------------


def sheet_bomb(expanded_bytes: int) -> bytes:
    """A sheet that is a few kilobytes compressed and `expanded_bytes` of XML once inflated (blank space)."""
    return xlsx_bytes([row_xml(1, XLSX_HEADER), *_repeat(" " * 1024, expanded_bytes)])


def shared_strings_bomb(expanded_bytes: int) -> bytes:
    """A small sheet whose shared-strings part expands to `expanded_bytes` of one-letter strings."""
    return xlsx_bytes([row_xml(1, XLSX_HEADER)], shared_strings=_repeat("<si><t>a</t></si>", expanded_bytes))


def many_shared_strings(count: int, length: int = 1) -> bytes:
    """A shared-strings part holding `count` distinct strings of at least `length` digits: small on disk, big in
    a list once loaded."""
    return xlsx_bytes(
        [row_xml(1, XLSX_HEADER)], shared_strings=(f"<si><t>{n:0{length}d}</t></si>" for n in range(count))
    )


def declared_million_rows(rows: list[list]) -> bytes:
    """A real list of `rows` whose <dimension> claims A1:Z1000000."""
    return xlsx_bytes(census_sheet_rows(rows), dimension="A1:Z1000000")


def real_million_rows(count: int = 1_000_000) -> bytes:
    """`count` rows that each hold one tiny cell: every row is really there."""
    return xlsx_bytes(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(1, count + 1))


def long_cell(chars: int) -> bytes:
    """A census header and one row whose name cell is `chars` characters long."""
    return xlsx_bytes(_long_cell_rows(chars))


def _long_cell_rows(chars: int) -> Iterator[str]:
    yield row_xml(1, XLSX_HEADER)
    yield '<row r="2"><c r="A2" t="inlineStr"><is><t>'
    block = "张" * 65_536
    left = chars
    while left > 0:
        yield block[: min(left, len(block))]
        left -= len(block)
    yield "</t></is></c></row>"


def many_columns(columns: int = 16_384, rows: int = 10) -> bytes:
    """Rows as wide as Excel allows (16,384 cells each)."""
    return xlsx_bytes(row_xml(r, ["x"] * columns) for r in range(1, rows + 1))


def huge_attribute(size: int) -> bytes:
    """A cell tag with one attribute of `size` bytes: a parser must hold it whole before it can report it."""
    return xlsx_bytes([row_xml(1, XLSX_HEADER), f'<row r="2"><c r="A2" x="', *_repeat("a", size), '"/></row>'])


def entity_expansion() -> bytes:
    """The "billion laughs" document type declaration inside a sheet."""
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{("&a%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    prologue = f"<!DOCTYPE worksheet [{entities}]>"
    return xlsx_bytes(['<row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row>'], prologue=prologue)


def csv_single_line(size: int) -> bytes:
    """A CSV of one line of `size` bytes, without a line break."""
    return ("姓名,身份证号," + "x" * size).encode("utf-8")


def not_a_zip() -> bytes:
    return b"PK\x03\x04 this is not really a zip archive " * 100


HOSTILE_XLSX_NAMES = (
    "sheet_bomb", "shared_strings_bomb", "many_shared_strings", "real_million_rows", "long_cell", "many_columns",
    "huge_attribute", "entity_expansion", "not_a_zip",
)


def census_xlsx(rows: Iterable[list], *, dimension: str = "") -> bytes:
    """A census list as Excel and WPS write it: every text cell a reference into the shared-strings part."""
    strings: dict[str, int] = {}

    def cell(ref: str, value) -> str:
        if isinstance(value, (int, float)):
            return f'<c r="{ref}"><v>{value}</v></c>'
        index = strings.setdefault(str(value), len(strings))
        return f'<c r="{ref}" t="s"><v>{index}</v></c>'

    def sheet() -> Iterator[str]:
        for number, values in enumerate([XLSX_HEADER, *rows], start=1):
            cells = "".join(cell(f"{_column(col)}{number}", v) for col, v in enumerate(values, start=1))
            yield f'<row r="{number}">{cells}</row>'

    pieces = list(sheet())  # the strings table is complete only once every row has been seen
    # Excel writes the page settings after the cells.
    margins = '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    return xlsx_bytes(pieces, dimension=dimension, after_data=[margins],
                      shared_strings=(f"<si><t>{_escape(s)}</t></si>" for s in strings))
