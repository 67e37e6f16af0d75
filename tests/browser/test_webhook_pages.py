"""The administrator's webhook pages in Chromium, at 1366×768 and 390×844: register an endpoint pointing at a
local receiver, copy the secret shown once, watch a failed delivery with its response, and redeliver after
confirming; the receiver verifies every signature with the copied secret."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import services as approval_services
from orgs.models import Org, WebhookDelivery
from orgs.services.webhooks import webhook_deliveries_resend
from tests.browser.conftest import PHONE, login, screenshot
from tests.conftest import PASSWORD
from tests.orgs.conftest import receiver  # noqa: F401 - the local receiver fixture

DESKTOP = {"width": 1366, "height": 768}


def _signed_by(secret: str, request: dict) -> bool:
    headers = {k.lower(): v for k, v in request["headers"].items()}
    expected = "sha256=" + hmac.new(
        secret.encode(), headers["x-kexie-timestamp"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, headers["x-kexie-signature"])


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_register_watch_a_failed_delivery_and_redeliver(new_page, live_server, hebei, make_admin, make_applicant, receiver):  # noqa: F811
    county = Org.objects.filter(parent__name="石家庄市科学技术协会", kind="kexie", level="county").order_by("code")[0]
    make_admin(county, "webhook_pages_admin")

    page = new_page(viewport=DESKTOP)
    login(page, live_server, "webhook_pages_admin", PASSWORD)
    page.get_by_role("link", name="Webhook").click()
    page.fill("#id_url", receiver.url)
    page.get_by_label("入会申请已提交").check()
    page.get_by_label("入会申请已审核（批准、退回或不予通过）").check()
    page.fill("#id_description", "县会员管理系统")
    page.get_by_role("button", name="创建端点").click()
    page.wait_for_load_state("networkidle")
    secret = page.locator("#webhook-secret code").inner_text().strip()
    assert secret.startswith("whsec_")
    assert receiver.url in page.locator("#webhook-endpoints").inner_text()
    assert _fits_the_screen(page)
    screenshot(page, "webhooks-desktop")

    # An applicant submits; the receiver is down the first time, so the delivery waits for a retry.
    receiver.reply(503, "系统维护中")
    person = make_applicant("蔡一")
    approval_services.application_submit(person=person, org=county, declaration_accepted=True)
    assert len(receiver.requests) == 1 and _signed_by(secret, receiver.requests[0])
    page.get_by_role("link", name=receiver.url).click()
    row = page.locator("#webhook-deliveries tbody tr").first
    assert "HTTP 503" in row.inner_text() and "待投递" in row.inner_text()

    # The retry falls due and the sweep sends it: delivered.
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert webhook_deliveries_resend() == 1
    page.reload()
    assert "已送达" in row.inner_text() and "HTTP 200" in row.inner_text()

    # 重新投递 asks first: dismissing sends nothing, accepting sends the same event under a new delivery id.
    page.dialogs.dismiss_next()
    row.get_by_role("button", name="重新投递").click()
    assert page.dialogs.messages[-1] == "将以新的投递编号再次推送此事件（内容不变），确定重新投递吗？"
    assert WebhookDelivery.objects.count() == 1 and len(receiver.requests) == 2
    row.get_by_role("button", name="重新投递").click()
    page.wait_for_load_state("networkidle")
    assert "已重新投递" in page.locator(".msg-success").inner_text()
    assert len(receiver.requests) == 3 and _signed_by(secret, receiver.requests[2])
    first, _retry, redelivered = (json.loads(r["body"]) for r in receiver.requests)
    assert redelivered == first
    assert page.locator("#webhook-deliveries tbody tr").count() == 2

    phone = new_page(viewport=PHONE)
    login(phone, live_server, "webhook_pages_admin", PASSWORD)
    phone.goto(page.url)
    phone.locator("#webhook-deliveries details summary").first.click()
    assert person.id_number_masked in phone.locator("#webhook-deliveries pre.payload").first.inner_text()
    assert _fits_the_screen(phone)
    screenshot(phone, "webhooks-phone")
