"""Hostile values: huge, empty, NUL, lone surrogates, invalid UTF-8, formulas, markup, out-of-range numbers,
foreign redirect targets, ID numbers, broken files. Values are `str` (lone surrogates allowed: they are sent
as the raw bytes a hostile client would send) or `bytes` (sent as they are)."""

import io
import zipfile

from hypothesis import strategies as st

from tests.conftest import valid_id_number

HUGE = 100_000

# First, so that the first example of every field carries most hostile classes at once.
KITCHEN_SINK = "=1+<b>x</b>\x00\ud800'\"{{ x }}\r\n" + "中" * 300 + "9" * 30

OUT_OF_RANGE = "9" * 30

TEXT = [
    KITCHEN_SINK,
    "",
    " ",
    "\u3000\t ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    b"\xff\xfe\xfd",
    b"\xc3",
    b"\xed\xa0\x80",
    "\u202egnp.exe",
    "😀" * 5,
    "A" * HUGE,
    "中" * 5000,
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "{{ 7*7 }}{% debug %}",
    "' OR '1'='1' --",
    "../../../../etc/passwd",
    "%00%2e%2e%2f",
    "a\r\nSet-Cookie: fuzz=1",
]

NUMBERS = [
    "-1",
    "0",
    "1.5",
    "1e309",
    "NaN",
    "-inf",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "99999999999999999999999999999999",
    "2147483648",
    "0x10",
    "１２３",
    "٣",
    "00000000000000000000001",
]

DATES = ["2026-02-30", "0000-00-00", "9999-12-31", "1899-12-31", "2026-13-01", "20260101", "2026-1-1T25:61"]

REDIRECTS = [
    "http://evil.example/",
    "//evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "/\\evil.example",
    "\\\\evil.example",
    "http://[",
    "http://[::1",
    "/%09/evil.example",
    "http://testserver@evil.example/",
    " //evil.example",
    "\x00/evil",
    "/ok\ud800",
    "/ok\r\nLocation: http://evil.example",
]

EMAILS = ["a@b", "x" * 300 + "@example.com", "a@" + "b" * 300 + ".com", "@", "a@b@c"]

MOBILES = ["13800138000", "+86 138 0013 8000", "１３８００１３８０００", "1" * 30]


def id_numbers(seeded: set[str]) -> list[str]:
    some = sorted(seeded)[:3]
    return some + [n.lower() for n in some[:1]] + [valid_id_number(123_456), "110105194912310020", "1" * 18]


def scalar(seeded_ids: set[str]):
    """Any hostile scalar: the fixed lists, plus generated text and integers."""
    fixed = TEXT + NUMBERS + DATES + REDIRECTS + EMAILS + MOBILES + id_numbers(seeded_ids)
    return st.one_of(
        st.sampled_from(fixed),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.binary(max_size=12),
    )


def redirect_target():
    return st.one_of(st.sampled_from(REDIRECTS), st.text(max_size=30))


# --- files ------------------------------------------------------------------------------------------------------


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buffer.getvalue()


CENSUS_HEADER = "姓名,身份证号,手机号码,工作单位,学历,职称,会员等级,邮箱\n"


def files(seeded_ids: set[str]) -> list[tuple[str, bytes, str]]:
    seeded = sorted(seeded_ids)[:2] or [valid_id_number(1)]
    hostile_csv = (
        CENSUS_HEADER
        + f"=HYPERLINK(\"x\"),{seeded[0]},13800138000,<b>单位</b>,本科,中级,会士,a@b\n"
        + "\x00,\"unterminated,1\n"
        + ("x," * 5000)
        + "\n"
    )
    return [
        ("proof.pdf", b"%PDF-1.4 minimal", "application/pdf"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
        ("photo.jpg", b"\xff\xd8\xff" + b"\x00" * 64, "image/jpeg"),
        ("../../../etc/passwd.pdf", b"%PDF-1.4", "application/pdf"),
        ("a\x00b.pdf", b"%PDF-1.4", "application/pdf"),
        ("noext", b"%PDF-1.4", "application/octet-stream"),
        ("evil.exe", b"MZ\x90\x00", "application/octet-stream"),
        ("empty.csv", b"", "text/csv"),
        ("名单.csv", hostile_csv.encode("utf-8"), "text/csv"),
        ("名单.csv", hostile_csv.encode("gbk", "replace") + b"\xff\xfe\x81", "text/csv"),
        ("名单.csv", b"\xef\xbb\xbf" + CENSUS_HEADER.encode() + b"\xed\xa0\x80,,,,,,,\n", "text/csv"),
        ("名单.xlsx", b"PK\x03\x04 broken zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("名单.xlsx", _zip({"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<<<"}), "application/octet-stream"),
        (
            "名单.xlsx",
            _xlsx([CENSUS_HEADER.strip().split(","), ["=1+1", seeded[-1], 13800138000, None, "本科", "中级", "普通会员", 3.5]]),
            "application/octet-stream",
        ),
        ("big.pdf", b"%PDF-1.4" + b"0" * (5 * 1024 * 1024), "application/pdf"),
    ]


# --- JSON bodies (the REST API) ---------------------------------------------------------------------------------

MALFORMED_JSON = [
    b"{",
    b'{"a": ',
    b"[" * 50_000,
    b"\xff\xfe{}",
    b"null",
    b"[]",
    b'"text"',
    b"1e999",
    b'{"x": NaN, "y": Infinity}',
    b'{"a": 1, "a": 2}',
    b"",
]


def json_value(value):
    """A hostile form value as a JSON value; numbers that look like numbers become JSON numbers."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, str) and value.lstrip("-").isdigit() and value.isascii():
        return int(value)
    return value


def json_document(pairs) -> dict:
    """Form pairs as one JSON object; a key given twice becomes a list."""
    document = {}
    for key, value in pairs:
        value = json_value(value)
        document[key] = [document[key], value] if key in document else value
    return document


def json_extremes():
    return st.sampled_from([10**40, -(10**40), 1e308, [], {}, [1, 2, 3], {"a": {"b": []}}, None, True, "\ud800", list(range(1000))])
