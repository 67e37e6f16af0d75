"""Member certificates: a Chinese PDF with a QR code to a public page that reveals only masked data."""

import io

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from approvals import services
from members.certificates import mask_name, membership_id_from_token, verify_token, verify_url
from orgs.models import AuditEvent


@pytest.fixture
def membership(admin_a, county_a, submit):
    return services.application_approve(application=submit(county_a, "张三丰"), reviewer=admin_a)


def _pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize(
    "name, masked", [("张三丰", "张*丰"), ("王五", "王*"), ("欧阳娜娜", "欧**娜"), ("李", "李"), ("", "")]
)
def test_mask_name_keeps_only_first_and_last_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.django_db
def test_member_downloads_own_certificate_with_chinese_name_number_and_verify_url(client, membership):
    client.force_login(membership.person.user)
    response = client.get(reverse("certificates:download", args=[membership.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    for expected in ("会员证", "张三丰", membership.number, membership.org.name, "县级个人会员", verify_url(membership)):
        assert expected in text, expected
    event = AuditEvent.objects.get(action="certificate.download")
    assert event.actor == membership.person.user and event.object_id == str(membership.pk)


@pytest.mark.django_db
def test_nobody_else_downloads_a_members_certificate_from_the_member_url(client, membership, make_applicant):
    client.force_login(make_applicant("旁人").user)
    assert client.get(reverse("certificates:download", args=[membership.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("certificates:download", args=[membership.pk])).status_code == 302


@pytest.mark.django_db
def test_admin_downloads_a_certificate_in_the_console_and_it_is_audited(client, city_admin, membership):
    client.force_login(city_admin)
    response = client.get(reverse("console_members:member_certificate", args=[membership.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="certificate.download", actor=city_admin, org=membership.org).count() == 1


@pytest.mark.django_db
def test_verify_page_shows_masked_name_number_org_and_validity_only(client, membership):
    response = client.get(reverse("certificates:verify", args=[verify_token(membership)]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "张*丰" in body and "张三丰" not in body
    assert membership.number in body and membership.org.name in body and "有效" in body
    assert membership.person.id_number_masked not in body and membership.person.mobile not in body


@pytest.mark.django_db
def test_verify_page_reports_an_inactive_membership(client, membership):
    type(membership).objects.filter(pk=membership.pk).update(status="lapsed")
    body = client.get(reverse("certificates:verify", args=[verify_token(membership)])).content.decode()
    assert "无效" in body and "已失效" in body


@pytest.mark.django_db
def test_verify_token_cannot_be_forged_from_the_id_or_the_number(client, membership):
    token = verify_token(membership)
    assert membership.number not in token
    assert membership_id_from_token(token) == membership.pk
    for forged in (str(membership.pk), membership.number, f"{membership.pk}:forged", token[:-1] + ("A" if token[-1] != "A" else "B")):
        response = client.get(reverse("certificates:verify", args=[forged]))
        assert response.status_code == 404 and membership.number not in response.content.decode()


@pytest.mark.django_db
def test_qr_code_points_at_the_public_verify_url(membership):
    from members.certificates import qr_drawing

    url = verify_url(membership)
    assert url.startswith(settings.SITE_URL) and url.endswith(f"/verify/{verify_token(membership)}/")
    widget = qr_drawing(url, 100).contents[0]
    assert widget.value == url
