"""Downloads are named in Chinese for every browser, and a typed name cannot break the header."""

from urllib.parse import unquote

from kexie.downloads import content_disposition, file_download


def _parts(header: str) -> dict:
    kind, *params = [p.strip() for p in header.split(";")]
    return {"kind": kind, **dict(p.split("=", 1) for p in params)}


def test_a_chinese_name_travels_in_filename_star_with_an_ascii_stand_in():
    parts = _parts(content_disposition("发展进度-石家庄市科学技术协会-2026.xlsx"))
    assert parts["kind"] == "attachment"
    assert parts["filename*"].startswith("UTF-8''")
    assert unquote(parts["filename*"][len("UTF-8''"):]) == "发展进度-石家庄市科学技术协会-2026.xlsx"
    assert parts["filename"] == '"2026.xlsx"'


def test_a_name_without_any_ascii_letters_still_gets_a_usable_stand_in():
    parts = _parts(content_disposition("会员证.pdf", inline=True))
    assert parts["kind"] == "inline" and parts["filename"] == '"download.pdf"'


def test_quotes_line_breaks_and_slashes_in_a_name_cannot_break_the_header():
    header = content_disposition('a"b\r\nSet-Cookie: x=1/../会员名册.xlsx')
    assert "\r" not in header and "\n" not in header
    parts = _parts(header)
    assert parts["filename"].count('"') == 2
    name = unquote(parts["filename*"][len("UTF-8''"):])
    assert "/" not in name and '"' in name  # the quote survives only percent-encoded, inside filename*
    assert '"' not in parts["filename*"]


def test_file_download_sets_type_and_name():
    response = file_download(b"x", filename="年报.xlsx", content_type="application/octet-stream")
    assert response["Content-Type"] == "application/octet-stream"
    assert "filename*=UTF-8''%E5%B9%B4%E6%8A%A5.xlsx" in response["Content-Disposition"]
