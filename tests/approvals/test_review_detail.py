"""The review page: evidence previewed inline (PDF and images) with the download's scope check and audit, what a
resubmitted application changed since its return, and the recommendation form only where one is possible."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from approvals import services
from members.models import Award
from members.services.people import person_profile_save
from orgs.models import AuditEvent
from tests.members.conftest import png_bytes


@pytest.fixture
def evidence(county_a, submit):
    application = submit(county_a, "有材料")
    pdf = Award.objects.create(person=application.person, name="市科技奖", level="city", year=2025)
    pdf.evidence.save("scan.pdf", ContentFile(b"%PDF-1.4 scan"), save=True)
    image = Award.objects.create(person=application.person, name="县劳模", level="county", year=2024)
    image.evidence.save("photo.png", ContentFile(png_bytes()), save=True)
    fake = Award.objects.create(person=application.person, name="冒名文件", level="county", year=2023)
    fake.evidence.save("trick.pdf", ContentFile(b"<html><script>alert(1)</script>"), save=True)
    return application, pdf, image, fake


def _view(application, award):
    return reverse("approvals:evidence_view", args=[application.pk, award.pk])


@pytest.mark.django_db
def test_a_pdf_is_served_inline_same_origin_framed_unsniffed_and_audited_like_the_download(client, city_admin, evidence):
    application, pdf, _image, _fake = evidence
    client.force_login(city_admin)
    response = client.get(_view(application, pdf))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 scan"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "object-src 'self'" in policy
    assert response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(action="evidence.download")
    assert (event.actor, event.object_id, event.data["inline"]) == (city_admin, str(pdf.pk), True)


@pytest.mark.django_db
def test_an_image_is_served_as_an_image(client, admin_a, evidence):
    application, _pdf, image, _fake = evidence
    client.force_login(admin_a)
    response = client.get(_view(application, image))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


@pytest.mark.django_db
def test_a_file_whose_bytes_do_not_match_its_name_is_not_shown_inline_and_not_audited(client, admin_a, evidence):
    application, _pdf, _image, fake = evidence
    client.force_login(admin_a)
    assert client.get(_view(application, fake)).status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.download").exists()
    # It can still be downloaded as a file.
    download = client.get(reverse("approvals:evidence_download", args=[application.pk, fake.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]


@pytest.mark.django_db
def test_preview_outside_the_subtree_is_404(client, admin_b, evidence):
    application, pdf, _image, _fake = evidence
    client.force_login(admin_b)
    assert client.get(_view(application, pdf)).status_code == 404


@pytest.mark.django_db
def test_the_review_page_loads_no_file_until_a_preview_is_opened(client, admin_a, evidence):
    """The previews wait in data-src: opening the page writes no audit row."""
    application, pdf, image, fake = evidence
    client.force_login(admin_a)
    page = client.get(reverse("approvals:detail", args=[application.pk])).content.decode()
    assert f'<iframe data-src="{_view(application, pdf)}"' in page
    assert f'<img data-src="{_view(application, image)}"' in page
    assert f'id="preview-{fake.pk}"' in page  # a .pdf name is offered; the server checks the bytes when opened
    assert "js/evidence-preview.js" in page and "<script>" not in page
    assert not AuditEvent.objects.filter(action="evidence.download").exists()


def _resave_profile(person, **changes):
    fields = {
        name: getattr(person, name)
        for name in ("name", "gender", "birth_date", "mobile", "email", "employer", "discipline", "education", "title")
    }
    fields.update(changes)
    return person_profile_save(user=person.user, id_number=None, **fields)


@pytest.mark.django_db
def test_a_resubmitted_application_shows_what_changed_since_the_return(client, admin_a, county_a, submit):
    application = submit(county_a, "退回者")
    services.application_return(application=application, reviewer=admin_a, comment="请写明工作单位全称并补充奖项")
    person = application.person
    _resave_profile(person, employer="石家庄市井陉县农业技术推广中心")
    Award.objects.create(person=person, name="县科普先进个人", level="county", year=2025)
    services.application_resubmit(application=application, person=person, explanation="已按意见修改")

    client.force_login(admin_a)
    page = client.get(reverse("approvals:detail", args=[application.pk])).content.decode()
    assert 'id="resubmission"' in page
    assert "请写明工作单位全称并补充奖项" in page
    assert "河北省某研究所" in page and "石家庄市井陉县农业技术推广中心" in page
    assert "新增奖励与荣誉" in page and "县科普先进个人（县级，2025）" in page
    assert "申请人说明" in page and "已按意见修改" in page
    changes = AuditEvent.objects.get(action="application.resubmit").data["changes"]
    assert {c["label"] for c in changes} == {"工作单位", "新增奖励与荣誉", "申请人说明"}


@pytest.mark.django_db
def test_a_resubmission_without_changes_says_so(client, admin_a, county_a, submit):
    application = submit(county_a, "未修改者")
    services.application_return(application=application, reviewer=admin_a, comment="请补充材料")
    services.application_resubmit(application=application, person=application.person)
    client.force_login(admin_a)
    page = client.get(reverse("approvals:detail", args=[application.pk])).content.decode()
    assert "申请人没有修改个人资料、奖励与荣誉或说明" in page


@pytest.mark.django_db
def test_a_never_returned_application_has_no_changes_section(client, admin_a, county_a, submit):
    application = submit(county_a, "首次提交")
    client.force_login(admin_a)
    assert 'id="resubmission"' not in client.get(reverse("approvals:detail", args=[application.pk])).content.decode()


@pytest.mark.django_db
def test_the_recommend_form_is_offered_once_then_says_the_recommendation_was_made(client, admin_a, county_a, submit):
    application = submit(county_a, "被推荐者")
    client.force_login(admin_a)
    url = reverse("approvals:detail", args=[application.pk])
    page = client.get(url).content.decode()
    assert reverse("approvals:recommend_application", args=[application.pk]) in page
    client.post(reverse("approvals:recommend_application", args=[application.pk]), {"opinion": "业绩突出"})
    page = client.get(url).content.decode()
    assert 'id="recommendation-made"' in page and "上级审核状态：待审核" in page
    assert reverse("approvals:recommend_application", args=[application.pk]) not in page
    assert "已有正在审核的申请，无需重复推荐" in page


@pytest.mark.django_db
def test_no_recommend_section_for_readers_decided_applications_or_the_top_of_the_tree(
    client, admin_a, staff, province_admin, county_a, province, submit
):
    application = submit(county_a, "已决定")
    services.application_reject(application=application, reviewer=admin_a, comment="不符合")
    client.force_login(admin_a)
    assert 'id="recommend"' not in client.get(reverse("approvals:detail", args=[application.pk])).content.decode()
    pending = submit(county_a, "只读查看")
    client.force_login(staff)
    assert 'id="recommend"' not in client.get(reverse("approvals:detail", args=[pending.pk])).content.decode()
    top = submit(province, "省级申请")
    client.force_login(province_admin)
    assert 'id="recommend"' not in client.get(reverse("approvals:detail", args=[top.pk])).content.decode()


@pytest.mark.django_db
def test_the_member_page_says_when_the_member_was_recommended_and_hides_the_form(client, admin_a, county_a, submit):
    membership = services.application_approve(application=submit(county_a, "会员甲"), reviewer=admin_a)
    client.force_login(admin_a)
    url = reverse("console_members:member_detail", args=[membership.pk])
    form_url = reverse("approvals:member_recommend", args=[membership.pk])
    assert form_url in client.get(url).content.decode()
    client.post(form_url, {"opinion": "长期从事科普"})
    page = client.get(url).content.decode()
    assert 'id="recommendation-made"' in page and form_url not in page
