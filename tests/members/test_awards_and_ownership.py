"""Awards with evidence uploads; another person's awards, evidence and applications answer 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members.models import Award
from tests.members.conftest import png_bytes

pytestmark = pytest.mark.django_db

AWARD = {"name": "县科技进步奖", "level": "county", "year": 2023, "issuer": "井陉县人民政府"}


def test_an_award_with_a_real_png_is_saved_and_only_its_owner_downloads_it(applicant_client, applicant, make_applicant, client):
    upload = SimpleUploadedFile("证书.png", png_bytes(), content_type="image/png")
    response = applicant_client.post(reverse("members:award_create"), {**AWARD, "evidence": upload})
    assert response.status_code == 302
    award = Award.objects.get(person=applicant, name="县科技进步奖")
    assert award.evidence.name.endswith(".png") and "证书" not in award.evidence.name
    download = applicant_client.get(reverse("members:award_evidence", args=[award.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == png_bytes()

    other = make_applicant("他人")
    client.force_login(other.user)
    assert client.get(reverse("members:award_evidence", args=[award.pk])).status_code == 404
    assert client.get(reverse("members:award_edit", args=[award.pk])).status_code == 404
    assert client.post(reverse("members:award_delete", args=[award.pk])).status_code == 404
    assert Award.objects.filter(pk=award.pk).exists()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("fake.png", b"this is not an image at all", "不符"),
        ("macro.docx", b"PK\x03\x04", "仅支持"),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "不能超过"),
    ],
)
def test_bad_evidence_is_refused_in_chinese_and_nothing_is_saved(applicant_client, applicant, name, content, message):
    upload = SimpleUploadedFile(name, content)
    response = applicant_client.post(reverse("members:award_create"), {**AWARD, "evidence": upload})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["evidence"])
    assert 'value="县科技进步奖"' in response.content.decode()
    assert not Award.objects.filter(person=applicant, name="县科技进步奖").exists()


def test_an_award_can_be_edited_and_deleted(applicant_client, applicant):
    award = Award.objects.filter(person=applicant).first()
    response = applicant_client.post(reverse("members:award_edit", args=[award.pk]), {**AWARD, "name": "改名"})
    assert response.status_code == 302
    award.refresh_from_db()
    assert award.name == "改名" and award.level == "county"
    applicant_client.post(reverse("members:award_delete", args=[award.pk]))
    assert not Award.objects.filter(pk=award.pk).exists()


def test_award_posting_another_person_changes_nothing(applicant_client, applicant, make_applicant):
    other = make_applicant("他人")
    applicant_client.post(reverse("members:award_create"), {**AWARD, "person": other.pk})
    assert Award.objects.filter(person=applicant, name=AWARD["name"]).exists()
    assert not Award.objects.filter(person=other, name=AWARD["name"]).exists()


def test_another_persons_application_is_404_everywhere(applicant, make_applicant, county_a, client):
    from approvals.models import Application
    from approvals.services import application_submit

    application = application_submit(person=applicant, org=county_a, declaration_accepted=True)
    other = make_applicant("他人")
    client.force_login(other.user)
    for name in ("applications:application_detail", "applications:application_resubmit"):
        assert client.get(reverse(name, args=[application.pk])).status_code == 404
    assert client.post(reverse("applications:application_withdraw", args=[application.pk])).status_code == 404
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
