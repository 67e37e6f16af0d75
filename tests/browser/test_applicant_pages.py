"""An applicant's own pages after approval: fees, notices, awards, my data and downloads, consent, deletion."""

import io
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from approvals import services
from members.crypto import decrypt_id_number
from members.models import Award, Membership, Notice
from members.services.consent import consent_give
from members.services.fees import fee_set
from orgs.models import Org
from tests.browser.conftest import login
from tests.conftest import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_fees_notices_awards_data_downloads_consent_withdrawal_and_deletion(page, live_server, hebei, make_admin, make_applicant):
    county = Org.objects.filter(parent__name="石家庄市科学技术协会", kind="kexie", level="county").order_by("code")[0]
    admin = make_admin(county, "applicant_pages_admin")
    person = make_applicant("吴明")
    consent_give(user=person.user)
    Award.objects.create(person=person, name="县科普先进个人", level="county", year=2021, issuer="县科协")
    membership = services.application_approve(
        application=services.application_submit(person=person, org=county, declaration_accepted=True), reviewer=admin
    )
    fee_set(actor=admin, org=county, category=Membership.Category.REGULAR, year=timezone.localdate().year, amount=Decimal("0"))
    full_id = decrypt_id_number(person.id_number_encrypted)

    login(page, live_server, person.user.username, PASSWORD)
    assert membership.number in page.locator("main").inner_text()

    # Own fees, from the header.
    page.get_by_role("banner").get_by_role("link", name="会费").click()
    row = page.locator("#my-fees tbody tr").first
    assert county.name in row.inner_text() and "暂时不收取会费" in row.inner_text()

    # Notices: mark one read, then all.
    page.get_by_role("banner").get_by_role("link", name="通知").click()
    unread = page.locator(".notice.unread").count()
    assert unread >= 2 and "已批准" in page.locator("main").inner_text()
    page.get_by_role("button", name="标为已读", exact=True).first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".notice.unread").count() == unread - 1
    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".notice.unread").count() == 0
    assert not Notice.objects.filter(user=person.user, read_at__isnull=True).exists()

    # Awards: edit one, delete the other.
    page.get_by_role("link", name="个人资料", exact=True).click()
    page.get_by_role("row", name="科技进步奖").get_by_role("link", name="修改").click()
    assert page.input_value("#id_name") == "科技进步奖"
    page.fill("#id_name", "河北省科技进步奖二等奖")
    page.fill("#id_year", "2023")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".msg-success").inner_text() == "奖励与荣誉已保存。"
    assert page.get_by_role("row", name="河北省科技进步奖二等奖").count() == 1
    page.get_by_role("row", name="县科普先进个人").get_by_role("button", name="删除").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".msg-success").inner_text() == "已删除“县科普先进个人”。"
    assert page.get_by_role("row", name="县科普先进个人").count() == 0
    assert list(person.awards.values_list("name", "year")) == [("河北省科技进步奖二等奖", 2023)]

    # My data: the page and both downloads hold the masked ID number, never the full one.
    page.get_by_role("link", name="我的数据").click()
    body = page.locator("main").inner_text()
    assert person.id_number_masked in body and membership.number in body and full_id not in page.content()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载（JSON）").click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert person.id_number_masked in json.dumps(data, ensure_ascii=False)
    assert full_id not in json.dumps(data, ensure_ascii=False)
    assert [m["会员编号"] for m in data["会员资格"]] == [membership.number]
    with page.expect_download() as download:
        page.get_by_role("link", name="下载（Excel）").click()
    workbook = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    cells = [str(c.value) for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert "会员资格" in workbook.sheetnames and membership.number in cells and "河北省科技进步奖二等奖" in cells
    assert not any(full_id in c for c in cells)

    # Consent withdrawal: recorded with its time; the page offers consent again.
    page.goto(f"{live_server.url}/consent/")
    page.get_by_role("button", name="撤回授权").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".msg-success").inner_text().startswith("已撤回授权。")
    assert page.get_by_role("button", name="我已阅读并同意").count() == 1
    history = page.locator("table tbody tr").first.inner_text()
    assert timezone.localdate().strftime("%Y-%m-%d") in history.split("\t")[-1]

    # Account deletion: the page says what is kept; a wrong password changes nothing.
    page.goto(f"{live_server.url}/me/data/")
    page.get_by_role("link", name="注销账号").last.click()
    assert "会保留的内容" in page.locator("main").inner_text()
    assert page.get_by_role("cell", name=membership.number).count() == 1
    page.fill("#id_password", "wrong-password")
    page.get_by_role("button", name="确认注销账号").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".errors").inner_text() == "密码不正确"
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="确认注销账号").click()
    page.wait_for_load_state("networkidle")
    assert "账号已注销。与会员资格和申请记录有关的资料已按说明保留并限制处理。" in page.locator(".messages").inner_text()
    person.refresh_from_db()
    assert person.user_id is None and person.restricted_at is not None
    assert Membership.objects.get(pk=membership.pk).number == membership.number
