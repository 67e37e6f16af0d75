"""Member certificates: a Chinese PDF with a QR code to a public page that reveals only masked data."""

import io
import re
from datetime import date

import pytest
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from approvals import services
from members.certificates import (
    CJK_FONT,
    LATIN_FONT,
    certificate_pdf,
    mask_name,
    membership_id_from_token,
    text_runs,
    verify_token,
    verify_url,
)
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


def _pdf_runs(content: bytes) -> list[tuple[str, str]]:
    """(text, font) for every piece of text drawn on the first page."""
    runs = []

    def visit(text, _cm, _tm, font, _size):
        if text.strip() and font:
            runs.append((text, str(font.get("/BaseFont", "")).lstrip("/")))

    PdfReader(io.BytesIO(content)).pages[0].extract_text(visitor_text=visit)
    return runs


@pytest.mark.django_db
@override_settings(SITE_URL="https://kexie.example.org")
def test_member_downloads_own_certificate_with_chinese_name_number_and_verify_url(client, membership):
    client.force_login(membership.person.user)
    response = client.get(reverse("certificates:download", args=[membership.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    url = verify_url(membership, site="https://kexie.example.org")
    assert url.startswith("https://kexie.example.org/verify/")
    for expected in ("会员证", "张三丰", membership.number, membership.org.name, "县级个人会员", url):
        assert expected in text, expected
    issued = membership.certificate_issued_on or membership.joined_on
    assert re.search(rf"发证日期：\s*{issued:%Y年%m月%d日}", text), "the issue date is printed"
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

    url = verify_url(membership, site="https://kexie.example.org/")
    assert url == f"https://kexie.example.org/verify/{verify_token(membership)}/"
    widget = qr_drawing(url, 100).contents[0]
    assert widget.value == url


@pytest.mark.django_db
@override_settings(SITE_URL="", ALLOWED_HOSTS=["kexie.lan"])
def test_without_a_configured_site_url_the_certificate_uses_the_address_it_was_requested_at(client, membership):
    client.force_login(membership.person.user)
    url = reverse("certificates:download", args=[membership.pk])
    response = client.get(url, HTTP_HOST="kexie.lan:8000")
    assert response.status_code == 200
    assert f"http://kexie.lan:8000/verify/{verify_token(membership)}/" in _pdf_text(response.content)
    with override_settings(SITE_URL="https://kexie.example.org/"):
        response = client.get(url, HTTP_HOST="kexie.lan:8000")
    text = _pdf_text(response.content)
    assert f"https://kexie.example.org/verify/{verify_token(membership)}/" in text and "kexie.lan" not in text


def test_latin_letters_and_digits_are_cut_out_for_the_latin_font():
    assert text_runs("X2026-HB015-00017") == [(LATIN_FONT, "X2026-HB015-00017")]
    assert text_runs("2026年3月1日") == [(LATIN_FONT, "2026"), (CJK_FONT, "年"), (LATIN_FONT, "3"), (CJK_FONT, "月"),
                                       (LATIN_FONT, "1"), (CJK_FONT, "日")]
    assert text_runs("县级个人会员（普通会员）") == [(CJK_FONT, "县级个人会员（普通会员）")]


@pytest.mark.django_db
def test_the_member_number_and_dates_are_set_in_the_latin_font_beside_the_chinese_one(membership):
    type(membership).objects.filter(pk=membership.pk).update(certificate_issued_on=date(2026, 3, 1))
    membership.refresh_from_db()
    runs = _pdf_runs(certificate_pdf(membership, site="https://kexie.example.org"))
    fonts = {}
    for text, font in runs:
        fonts.setdefault(text.strip(), set()).add(font)
    assert fonts[membership.number] == {LATIN_FONT}
    assert fonts["张三丰"] == {CJK_FONT}
    assert {LATIN_FONT} == fonts["2026"] and {CJK_FONT} == fonts["年"]
    assert fonts["03"] == {LATIN_FONT}  # the issue date 2026年03月01日
