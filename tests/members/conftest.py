"""Fixtures of the members tests: rate limits reset, files to upload, members in bulk and census files."""

import csv
import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import valid_id_number


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache; each test starts with none used."""
    cache.clear()
    yield
    cache.clear()


def png_bytes(size=(4, 4)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def known_id(person) -> str:
    """The plain ID number make_applicant gave this person (recovered for assertions only)."""
    from members.crypto import decrypt_id_number

    return decrypt_id_number(person.id_number_encrypted)


CENSUS_HEADER = ["姓名", "身份证号", "手机号码", "工作单位", "学历", "职称", "会员等级", "邮箱"]


def census_row(n: int, **overrides) -> list[str]:
    values = {
        "姓名": f"会员{n}",
        "身份证号": valid_id_number(n),
        "手机号码": f"137{n:08d}",
        "工作单位": "石家庄某研究院",
        "学历": "本科",
        "职称": "中级",
        "会员等级": "普通会员",
        "邮箱": f"m{n}@example.com",
    }
    values.update(overrides)
    return [values[c] for c in CENSUS_HEADER]


def csv_upload(rows: list[list[str]], *, name: str = "名单.csv", encoding: str = "utf-8-sig", header=CENSUS_HEADER):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(rows: list[list], *, name: str = "名单.xlsx", header=CENSUS_HEADER):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


__all__ = ["png_bytes", "known_id", "valid_id_number", "census_row", "csv_upload", "xlsx_upload"]
