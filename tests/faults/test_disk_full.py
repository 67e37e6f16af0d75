"""A full disk during an upload: the person sees a clear 503, nothing is recorded and no fragment of the
file (full ID numbers) stays on disk. The uploads folder is a tiny tmpfs mounted by the test (needs root)."""

import os
import subprocess

import pytest
from django.test import Client
from django.urls import reverse

from members.models import CensusImport
from orgs.models import AuditEvent
from tests.members.conftest import census_row, csv_upload


@pytest.fixture
def full_disk(tmp_path, settings):
    mount_point = tmp_path / "media"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("挂载 tmpfs 需要 root 权限")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"无法挂载 tmpfs：{result.stderr.strip()}")
    settings.MEDIA_ROOT = str(mount_point)
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=False)


def test_a_census_upload_on_a_full_disk_answers_503_and_records_nothing(full_disk, admin_a, county_a):
    client = Client(raise_request_exception=False)
    client.force_login(admin_a)
    upload = csv_upload([census_row(76_000 + n) for n in range(2000)])
    assert upload.size > 16 * 1024

    response = client.post(reverse("console_members:census_upload", args=[county_a.pk]), {"file": upload})

    assert response.status_code == 503
    body = response.content.decode()
    assert "存储空间" in body and "没有保存" in body
    assert not CensusImport.objects.exists()
    assert not AuditEvent.objects.filter(action="census.upload").exists()
    leftovers = [p for p in full_disk.rglob("*") if p.is_file()]
    assert leftovers == [], f"a partial upload stayed on disk: {leftovers}"
