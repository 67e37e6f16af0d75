"""A member renews on a phone (年度注册: confirms the profile, then pays the year's fee by bank transfer with the
proof uploaded); the administrator confirms it on a desktop; the renewal completes and the receipt downloads."""

from datetime import date

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from members.models import FeeReceipt
from members.services.fees import fee_set
from members.models import Membership
from members.services.memberships import membership_grant
from members.services.renewals import renewal_window_set
from tests.browser.conftest import DESKTOP, PHONE, login, screenshot
from tests.conftest import PASSWORD
from tests.members.conftest import png_bytes


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_renews_and_uploads_a_transfer_proof_on_a_phone_and_the_admin_confirms(
    new_page, live_server, hebei, county_a, make_admin, make_applicant, consented, tmp_path
):
    year = timezone.localdate().year
    admin = make_admin(county_a, "dues_county_admin")
    fee_set(actor=admin, org=county_a, category="regular", year=year, amount=Decimal("50"))
    # A window spanning the whole year keeps the test independent of the day it runs on.
    renewal_window_set(actor=admin, org=county_a, opens=(1, 1), closes=(12, 31))
    person = make_applicant("缴费人")
    consented(person.user)
    with transaction.atomic():
        membership = membership_grant(person=person, org=county_a, joined_on=date(year - 1, 6, 1))
    proof = tmp_path / "转账回单.png"
    proof.write_bytes(png_bytes((40, 30)))

    phone = new_page(viewport=PHONE)
    login(phone, live_server, person.user.username, PASSWORD)
    phone.goto(f"{live_server.url}/me/renewal/")
    phone.get_by_label("我已核对个人资料，信息准确无误").check()
    screenshot(phone, "renewal-phone")
    phone.get_by_role("button", name=f"办理 {year} 年度注册").click()
    phone.wait_for_load_state("networkidle")
    assert "请缴纳" in phone.locator(".msg-success").inner_text()
    assert "50.00" in phone.locator("#fee-amount").inner_text()
    phone.get_by_label("银行转账").check()
    phone.get_by_role("button", name="提交缴费信息").click()
    assert "请上传转账凭证" in phone.content()  # nothing lost: the choice is still made
    assert phone.get_by_label("银行转账").is_checked()
    phone.set_input_files("#id_proof", str(proof))
    screenshot(phone, "dues-pay-phone")
    phone.get_by_role("button", name="提交缴费信息").click()
    phone.wait_for_load_state("networkidle")
    assert "待组织确认" in phone.locator("#my-fees").inner_text()

    desk = new_page(viewport=DESKTOP)
    login(desk, live_server, "dues_county_admin", PASSWORD)
    desk.goto(f"{live_server.url}/console/orgs/{county_a.pk}/fees/payments/")
    row = desk.locator("#dues-pending tr", has_text="缴费人")
    assert "银行转账" in row.inner_text()
    screenshot(desk, "dues-confirm-desktop")
    row.get_by_role("button", name="确认收款").click()  # the confirm dialog is accepted (tests/browser/conftest.py)
    desk.wait_for_load_state("networkidle")
    assert desk.dialogs.messages, "confirming a payment asks first"
    receipt = FeeReceipt.objects.get(payment__membership__person=person)
    assert receipt.number in desk.locator(".msg-success").inner_text()
    assert receipt.number in desk.locator("#dues-decided").inner_text()

    membership.refresh_from_db()
    assert membership.valid_through == year and membership.status == Membership.Status.ACTIVE
    phone.goto(f"{live_server.url}/me/fees/")
    link = phone.get_by_role("link", name=f"电子收据 {receipt.number}")
    assert link.get_attribute("href").endswith(f"/me/receipts/{receipt.pk}.pdf")
    response = phone.request.get(f"{live_server.url}{link.get_attribute('href')}")
    assert response.headers["content-type"] == "application/pdf" and response.body().startswith(b"%PDF")
