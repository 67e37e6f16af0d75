"""Uploaded spreadsheets are read in bounded memory or refused with the reason (kexie/excel.py): zip bombs and
oversized parts are refused from the zip directory, rows, columns and cell lengths while expat streams the
parts, and only a file that passed reaches openpyxl, which then ignores the sheet's declared dimension."""

import io
import itertools
import random
import string
import tracemalloc
import zipfile

import openpyxl
import pytest

from bench import hostile_files
from kexie import excel
from kexie.excel import SpreadsheetRefused, csv_rows, spreadsheet_rows, xlsx_archive_check, xlsx_rows

TOO_LARGE = "解压后的内容过大或压缩比异常"


def _noise(n: int) -> str:
    """Text that does not compress well, so a large part is refused by what it holds, not by its ratio."""
    rng = random.Random(n)
    return "".join(rng.choices(string.ascii_letters, k=n))


@pytest.fixture
def openpyxl_never_opened(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl must not open a file the checks refuse")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: hostile_files.sheet_bomb(excel.XLSX_MAX_SHEET_BYTES + (1 << 20)), TOO_LARGE),
        (lambda: hostile_files.shared_strings_bomb(excel.XLSX_MAX_SHARED_STRINGS_BYTES + (1 << 20)), TOO_LARGE),
        (lambda: hostile_files.many_shared_strings(excel.XLSX_MAX_SHARED_STRINGS + 1), "不同文字超过 500000 条"),
        (lambda: hostile_files.real_million_rows(5_000), "文件行数超过上限 1000 行"),
        (lambda: hostile_files.long_cell(excel.EXCEL_MAX_CELL_CHARS + 1), "第 2 行有单元格超过 32767 个字符"),
        (lambda: hostile_files.many_columns(columns=excel.MAX_COLUMNS + 1, rows=1), "第 1 行超过 100 列"),
        (hostile_files.entity_expansion, "文档类型声明"),
        (hostile_files.not_a_zip, "无法读取 Excel 文件"),
    ],
    ids=["sheet-bomb", "shared-strings-bomb", "many-shared-strings", "many-rows", "long-cell", "many-columns",
         "entity-expansion", "not-a-zip"],
)
def test_each_hostile_xlsx_is_refused_in_chinese_before_openpyxl_opens_it(build, message, openpyxl_never_opened):
    with pytest.raises(SpreadsheetRefused) as refused:
        list(xlsx_rows(io.BytesIO(build()), max_rows=1_001))
    assert message in str(refused.value.message)


def test_a_bomb_is_refused_from_the_zip_directory_alone():
    """The upload form runs this check: it reads the directory and inflates nothing."""
    bomb = io.BytesIO(hostile_files.sheet_bomb(excel.XLSX_MAX_SHEET_BYTES + (1 << 20)))
    assert len(bomb.getvalue()) < 1 << 20  # a few hundred kilobytes on the wire
    with pytest.raises(SpreadsheetRefused, match=TOO_LARGE):
        xlsx_archive_check(bomb)
    assert bomb.tell() == 0  # left where it was found, ready to be stored


def test_a_part_compressed_beyond_any_real_sheet_is_refused_by_its_ratio():
    # 2 MB of one repeated row: below every size limit, but 1,000:1 as only a bomb is.
    ratio_bomb = hostile_files.xlsx_bytes(['<row r="1"><c r="A1"><v>1</v></c></row>', " " * (2 << 20)])
    with pytest.raises(SpreadsheetRefused, match=TOO_LARGE):
        xlsx_archive_check(io.BytesIO(ratio_bomb))
    # A real 2,000-row list passes.
    rows = [["张三", f"{n:018d}", "13800000000", "某单位", "本科", "中级", "普通会员", ""] for n in range(2_000)]
    xlsx_archive_check(io.BytesIO(hostile_files.xlsx_bytes(hostile_files.census_sheet_rows(rows))))


def test_a_zip_that_understates_a_part_size_is_read_only_up_to_the_declared_size_and_refused():
    buffer = io.BytesIO(hostile_files.xlsx_bytes(hostile_files.census_sheet_rows([["x"] * 8] * 20_000)))
    source = zipfile.ZipFile(buffer)
    lying = io.BytesIO()
    with zipfile.ZipFile(lying, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        # The central directory (written at close) now declares 1 KB for a sheet of megabytes.
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
        sheet.file_size = 1024
    with pytest.raises(SpreadsheetRefused, match="无法读取 Excel 文件"):
        list(xlsx_rows(io.BytesIO(lying.getvalue()), max_rows=100_001))


def test_the_row_limit_stops_the_scan_at_the_first_row_beyond_it(monkeypatch, openpyxl_never_opened):
    seen = []
    original = excel._PartScan.start

    def counting(self, name, attrs):
        if name == "row":
            seen.append(attrs.get("r"))
        return original(self, name, attrs)

    monkeypatch.setattr(excel._PartScan, "start", counting)
    with pytest.raises(SpreadsheetRefused, match="文件行数超过上限 100 行"):
        list(xlsx_rows(io.BytesIO(hostile_files.real_million_rows(50_000)), max_rows=101))
    assert len(seen) == 102 and seen[-1] == "102"


def test_a_cell_is_counted_in_pieces_and_refused_without_being_held_whole():
    """3 MB of text in one cell, incompressible: expat hands it over in pieces, the count refuses it."""
    big_cell = hostile_files.xlsx_bytes(
        ['<row r="1"><c r="A1" t="inlineStr"><is><t>', _noise(3 << 20), "</t></is></c></row>"]
    )
    xlsx_archive_check(io.BytesIO(big_cell))  # nothing wrong from the outside

    def read():
        with pytest.raises(SpreadsheetRefused, match="第 1 行有单元格超过 32767 个字符"):
            list(xlsx_rows(io.BytesIO(big_cell), max_rows=100))

    assert _peak_allocated(read) < 1 << 20


def test_rich_text_runs_of_one_cell_are_counted_together():
    runs = "".join(f"<r><t>{_noise(10_000)}</t></r>" for _ in range(4))
    sheet = hostile_files.xlsx_bytes([f'<row r="1"><c r="A1" t="inlineStr"><is>{runs}</is></c></row>'])
    with pytest.raises(SpreadsheetRefused, match="超过 32767 个字符"):
        list(xlsx_rows(io.BytesIO(sheet), max_rows=100))


def test_a_tag_longer_than_a_megabyte_is_refused_before_it_is_complete():
    sheet = hostile_files.xlsx_bytes(['<row r="1"><c r="A1" x="', _noise(2 << 20), '"/></row>'])
    with pytest.raises(SpreadsheetRefused, match=TOO_LARGE):
        list(xlsx_rows(io.BytesIO(sheet), max_rows=100))


def test_a_sheet_declaring_a_million_rows_yields_only_the_rows_it_has():
    rows = [["张三", "110105194912310021", "13800000000", "某单位", "本科", "中级", "普通会员", ""]] * 3
    read = list(xlsx_rows(io.BytesIO(hostile_files.declared_million_rows(rows)), max_rows=100))
    assert len(read) == 4
    assert read[0][:2] == ("姓名", "身份证号") and read[3][0] == "张三"


def test_an_xlsx_written_by_openpyxl_with_shared_strings_reads_back():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "手机号码"])
    sheet.append(["李四", 13800138000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert list(spreadsheet_rows(io.BytesIO(buffer.getvalue()), "名单.xlsx", max_rows=10)) == [
        ("姓名", "手机号码"),
        ("李四", 13800138000),
    ]


def _peak_allocated(fn) -> int:
    """The most memory Python held at once while `fn` ran (tracemalloc), beyond what existed before."""
    tracemalloc.start()
    try:
        fn()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def test_a_long_sheet_followed_by_its_page_settings_is_read():
    """Cells do not count against the limit on a sheet's other elements (openpyxl writes them after the cells)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for n in range(12_000):  # about 22 elements a row: past XLSX_MAX_PART_ELEMENTS inside <sheetData>
        sheet.append(["张三", f"{n:018d}", "13800000000", "某单位", "本科", "中级", "普通会员", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert sum(1 for _ in xlsx_rows(io.BytesIO(buffer.getvalue()), max_rows=100_000)) == 12_000


def test_too_many_elements_besides_the_cells_are_refused(openpyxl_never_opened):
    merged = (f'<mergeCell ref="A{n}:B{n}"/>' for n in range(1, excel.XLSX_MAX_PART_ELEMENTS + 2))
    sheet = hostile_files.xlsx_bytes(['<row r="1"/>'], after_data=itertools.chain(["<mergeCells>"], merged, ["</mergeCells>"]))
    with pytest.raises(SpreadsheetRefused, match=TOO_LARGE):
        list(xlsx_rows(io.BytesIO(sheet), max_rows=100))


def test_a_part_is_limited_by_what_it_is_not_by_where_it_is_stored(openpyxl_never_opened):
    """A stylesheet (loaded whole by openpyxl) stored under xl/worksheets/ gets a stylesheet's limit."""
    buffer = io.BytesIO(hostile_files.xlsx_bytes(['<row r="1"/>']))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        text = _noise(excel.XLSX_MAX_PART_BYTES + (1 << 20))
        archive.writestr("xl/worksheets/styles.xml", f'<styleSheet><numFmts formatCode="x">{text}</numFmts></styleSheet>')
    xlsx_archive_check(io.BytesIO(buffer.getvalue()))  # its name gives it a worksheet's allowance
    with pytest.raises(SpreadsheetRefused, match=TOO_LARGE):
        list(xlsx_rows(io.BytesIO(buffer.getvalue()), max_rows=100))


def test_a_csv_line_without_end_is_refused_after_the_limit_not_read_whole():
    line = io.BytesIO(hostile_files.csv_single_line(8 << 20))

    def read():
        with pytest.raises(SpreadsheetRefused, match="第 1 行过长"):
            list(csv_rows(line, max_rows=100))

    # Reading the 8 MB line whole would hold at least 8 MB of bytes and as much text.
    assert _peak_allocated(read) < 2 << 20


def test_csv_rows_columns_and_encodings():
    gbk = "姓名,工作单位\r\n张三,石家庄某研究院\r\n".encode("gbk")
    assert list(csv_rows(io.BytesIO(gbk), max_rows=10)) == [["姓名", "工作单位"], ["张三", "石家庄某研究院"]]
    bom = "\ufeff姓名\n王五\n".encode("utf-8")
    assert list(csv_rows(io.BytesIO(bom), max_rows=10)) == [["姓名"], ["王五"]]
    with pytest.raises(SpreadsheetRefused, match="文件行数超过上限 2 行"):
        list(csv_rows(io.BytesIO(b"a\nb\nc\nd\n"), max_rows=3))
    with pytest.raises(SpreadsheetRefused, match="第 1 行超过 100 列"):
        list(csv_rows(io.BytesIO(b"," * 100), max_rows=3))
    with pytest.raises(SpreadsheetRefused, match="无法识别文件编码"):
        list(csv_rows(io.BytesIO(b"\xff\xfe\xff\xfe\x81"), max_rows=3))


def test_the_reader_leaves_the_callers_file_open():
    fh = io.BytesIO("姓名\n张三\n".encode("utf-8"))
    assert len(list(csv_rows(fh, max_rows=10))) == 2
    assert not fh.closed


def test_other_file_types_are_refused():
    with pytest.raises(SpreadsheetRefused, match="仅支持 .xlsx 或 .csv 格式的文件"):
        spreadsheet_rows(io.BytesIO(b"%PDF"), "名单.pdf", max_rows=10)
