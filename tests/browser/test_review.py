"""County admin approves and recommends, the city approves the recommendation, the member gets a certificate."""

import io
from urllib.parse import urlparse

import pytest
from django.core.files.base import ContentFile
from pypdf import PdfReader

from approvals import services
from members.models import Membership
from orgs.models import AuditEvent, Org
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD


def _approve_on_detail(page):
    page.get_by_label("批准", exact=True).check()
    page.fill("#id_comment", "材料齐全，同意入会")
    page.get_by_role("button", name="提交审核决定").click()
    page.wait_for_load_state("networkidle")


def _logout(page):
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_county_approves_recommends_city_approves_member_downloads_certificate(page, live_server, hebei, make_admin, make_applicant):
    city = Org.objects.get(name="石家庄市科学技术协会")
    county = Org.objects.filter(parent=city, kind="kexie", level="county").order_by("code")[0]
    make_admin(county, "county_reviewer")
    make_admin(city, "city_reviewer")
    person = make_applicant("李四光")
    award = person.awards.get()
    award.evidence.save("certificate.pdf", ContentFile(b"%PDF-1.4 award scan"), save=True)
    services.application_submit(person=person, org=county, explanation="长期从事地质科普", declaration_accepted=True)
    other = make_applicant("周八")
    services.application_submit(person=other, org=county, declaration_accepted=True)

    # County: the queue, the detail, approve.
    login(page, live_server, "county_reviewer", PASSWORD)
    page.goto(f"{live_server.url}/console/review/")
    assert page.locator("#queue tbody tr").count() == 2
    screenshot(page, "review-queue")
    page.get_by_role("link", name="李四光").click()
    assert "130102********" in page.content() and "长期从事地质科普" in page.content()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载", exact=True).click()
    assert download.value.suggested_filename.endswith(".pdf")
    screenshot(page, "review-detail")
    _approve_on_detail(page)
    assert "已批准，会员编号 X" in page.locator(".msg-success").inner_text()
    county_membership = Membership.objects.get(person=person, org=county)

    # County: recommend the new member to the city from the member directory's detail page.
    page.get_by_role("link", name="会员", exact=True).click()
    page.get_by_role("row", name="李四光").get_by_role("link", name="李四光").click()
    assert city.name in page.locator("#recommend").inner_text()
    page.fill("#id_opinion", "在县域地质灾害科普中贡献突出，推荐市科协吸收为会员")
    page.get_by_role("button", name="提交推荐").click()
    page.wait_for_load_state("networkidle")
    assert "推荐至“石家庄市科学技术协会”" in page.locator(".msg-success").inner_text()
    _logout(page)

    # City: the recommendation is in the queue with who, when and why; approve it.
    login(page, live_server, "city_reviewer", PASSWORD)
    page.goto(f"{live_server.url}/console/review/")
    row = page.get_by_role("row", name="李四光")
    assert county.name in row.inner_text() and "推荐市科协" in row.inner_text()
    row.get_by_role("link", name="李四光").click()
    assert "county_reviewer" in page.locator("#recommendation").inner_text()
    _approve_on_detail(page)
    assert "已批准，会员编号 C" in page.locator(".msg-success").inner_text()
    city_membership = Membership.objects.get(person=person, org=city)
    _logout(page)

    assert set(Membership.objects.filter(person=person).values_list("org_id", flat=True)) == {county.pk, city.pk}
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"application.submit", "application.approve", "recommendation.create", "evidence.download"} <= actions

    # The member downloads both certificates; the city one carries the Chinese name, number and verify URL.
    login(page, live_server, person.user.username, PASSWORD)
    for membership in (county_membership, city_membership):
        response = page.request.get(f"{live_server.url}/me/certificates/{membership.pk}.pdf")
        assert response.status == 200 and response.body().startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "李四光" in text and city_membership.number in text and city.name in text
    verify_url = next(word for word in text.split() if "/verify/" in word)

    # The QR target: the public page shows the masked name and the number, nothing more.
    page.goto(live_server.url + urlparse(verify_url).path)
    assert page.locator("#verify-name").inner_text() == "李*光"
    assert page.locator("#verify-number").inner_text() == city_membership.number
    assert "有效" in page.locator("#verify-validity").inner_text()
    assert "李四光" not in page.locator("#verify").inner_text()
    assert AuditEvent.objects.filter(action="certificate.download", actor=person.user).count() == 2
