"""Fixtures of the lifecycle tests: members in bulk and census files."""

import csv
import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from members.crypto import encrypt_id_number, id_number_blind_index
from members.lifecycle_services import member_numbers_reserve
from members.models import Membership, Person
from members.validators import mask_id_number
from tests.conftest import valid_id_number

CENSUS_HEADER = ["姓名", "身份证号", "手机号码", "工作单位", "学历", "职称", "会员等级", "邮箱"]

# Far from the serials tests/conftest.py hands out, so bulk members never collide with applicants.
_bulk_serial = itertools.count(500_000)


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


@pytest.fixture
def make_members():
    """`n` active members of `org`, written in bulk the way the census commit writes them."""

    def make(org, n: int, *, grade: str = Membership.Grade.ORDINARY, status: str = Membership.Status.ACTIVE):
        serials = [next(_bulk_serial) for _ in range(n)]
        people = []
        for s in serials:
            id_number = valid_id_number(s)
            people.append(
                Person(
                    name=f"成员{s}",
                    id_number_encrypted=encrypt_id_number(id_number),
                    id_number_index=id_number_blind_index(id_number),
                    id_number_masked=mask_id_number(id_number),
                    mobile=f"136{s:08d}",
                    employer="某单位",
                )
            )
        with transaction.atomic():
            people = Person.objects.bulk_create(people)
            numbers = member_numbers_reserve(org=org, year=timezone.localdate().year, count=n)
            return Membership.objects.bulk_create(
                [
                    Membership(person=p, org=org, level=org.level, number=num, grade=grade, status=status, joined_on=timezone.localdate())
                    for p, num in zip(people, numbers)
                ]
            )

    return make
