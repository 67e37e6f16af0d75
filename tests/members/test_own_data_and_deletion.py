"""The applicant's own data (view, JSON, Excel), no full ID number anywhere, and account deletion."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.models import Application
from approvals.services import application_approve, application_return, application_submit
from members.models import Award, Membership, Notice, Person
from tests.members.conftest import known_id, png_bytes

pytestmark = pytest.mark.django_db


def _xlsx_text(content: bytes) -> str:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    return "\n".join(
        str(cell.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None
    )


def test_no_applicant_page_or_download_shows_the_full_id_number(applicant_client, applicant, county_a, city, admin_a):
    id_number = known_id(applicant)
    middle = id_number[6:14]
    award = Award.objects.filter(person=applicant).first()
    returned = application_submit(person=applicant, org=county_a, declaration_accepted=True)
    application_return(application=returned, reviewer=admin_a, comment="请补充")
    application_submit(person=applicant, org=city, declaration_accepted=True)
    urls = [
        reverse("members:me"), reverse("members:profile"), reverse("members:consent"), reverse("applications:org_choose"),
        reverse("applications:org_choose") + "?q=井陉", reverse("applications:apply", args=[county_a.pk]),
        reverse("applications:application_list"), reverse("applications:application_detail", args=[returned.pk]),
        reverse("applications:application_resubmit", args=[returned.pk]), reverse("members:data"),
        reverse("members:account_delete"), reverse("members:notice_list"), reverse("members:award_create"),
        reverse("members:award_edit", args=[award.pk]),
    ]
    for url in urls:
        response = applicant_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert id_number not in body and middle not in body, url
    assert applicant.id_number_masked in applicant_client.get(reverse("members:data")).content.decode()

    as_json = applicant_client.get(reverse("members:data_export_json")).content.decode()
    as_xlsx = _xlsx_text(applicant_client.get(reverse("members:data_export_xlsx")).content)
    for text in (as_json, as_xlsx):
        assert id_number not in text and middle not in text
        assert applicant.id_number_masked in text
    # A failed profile post with the ID number typed in does not echo it either.
    response = applicant_client.post(reverse("members:profile"), {"name": "", "id_number": id_number})
    assert response.status_code == 200 and id_number not in response.content.decode()


def test_the_json_download_holds_everything_on_the_data_page(applicant_client, applicant, county_a):
    application_submit(person=applicant, org=county_a, explanation="说明文字", declaration_accepted=True)
    response = applicant_client.get(reverse("members:data_export_json"))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert set(data) == {"账号", "个人资料", "奖励与荣誉", "入会申请", "会员资格", "个人信息授权", "通知", "谁查看了我的信息"}
    import re

    page = applicant_client.get(reverse("members:data")).content.decode()
    assert set(re.findall(r"<h2>(.*?)</h2>", page)) == set(data)
    assert data["个人资料"]["姓名"] == applicant.name
    assert data["入会申请"][0]["申请组织"] == county_a.name and data["入会申请"][0]["申请人说明"] == "说明文字"
    assert data["奖励与荣誉"][0]["级别"] == "省级"
    from orgs.models import AuditEvent

    assert AuditEvent.objects.filter(action="person.export", actor=applicant.user).exists()


def test_the_excel_download_neutralises_formula_looking_cells(applicant_client, applicant):
    from openpyxl import load_workbook

    from members.services.people import person_profile_save

    person_profile_save(user=applicant.user, employer="=HYPERLINK(\"http://evil\")", discipline="+1+1")
    Award.objects.create(person=applicant, name="@SUM(A1)", level="county", year=2020, issuer="-2")
    content = applicant_client.get(reverse("members:data_export_xlsx")).content
    workbook = load_workbook(io.BytesIO(content))
    values = [c.value for s in workbook.worksheets for row in s.iter_rows() for c in row if isinstance(c.value, str)]
    for dangerous in ("=HYPERLINK(\"http://evil\")", "+1+1", "@SUM(A1)", "-2"):
        assert "'" + dangerous in values
        assert dangerous not in values
    assert all(cell.data_type != "f" for s in workbook.worksheets for row in s.iter_rows() for cell in row)


def test_deleting_an_account_without_decisions_removes_the_person_and_files(
    applicant_client, applicant, county_a, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    applicant_client.post(
        reverse("members:award_create"), {"name": "奖", "level": "county", "year": 2020, "issuer": "", "evidence": upload}
    )
    award = Award.objects.get(person=applicant, name="奖")
    storage, path = award.evidence.storage, award.evidence.name
    assert storage.exists(path)
    user = applicant.user
    response = applicant_client.post(reverse("members:account_delete"), {"password": "wrong"})
    assert response.status_code == 200 and "密码不正确" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = applicant_client.post(reverse("members:account_delete"), {"password": "Test-pass-2026"})
    assert response.status_code == 302
    assert not storage.exists(path)
    assert not Person.objects.filter(pk=applicant.pk).exists()
    assert not Award.objects.filter(pk=award.pk).exists()
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password() and user.mobile is None and user.email == ""
    assert "_auth_user_id" not in applicant_client.session


def test_deleting_an_account_withdraws_open_applications_and_keeps_decided_memberships_restricted(
    applicant_client, applicant, county_a, county_b, admin_a
):
    decided = application_submit(person=applicant, org=county_a, declaration_accepted=True)
    membership = application_approve(application=decided, reviewer=admin_a)
    open_one = application_submit(person=applicant, org=county_b, declaration_accepted=True)
    page = applicant_client.get(reverse("members:account_delete")).content.decode()
    assert "会保留的内容" in page and membership.number in page and "将被撤回" in page

    applicant_client.post(reverse("members:account_delete"), {"password": "Test-pass-2026"})
    open_one.refresh_from_db()
    assert open_one.status == Application.Status.WITHDRAWN
    person = Person.objects.get(pk=applicant.pk)
    assert person.user_id is None and person.restricted_at is not None
    assert person.id_number_index == applicant.id_number_index
    assert Membership.objects.get(pk=membership.pk).status == "active"
    assert Application.objects.get(pk=decided.pk).status == "approved"
    assert not Notice.objects.filter(user=applicant.user).exists()
