"""An applicant goes from the home page to a submitted application, on a phone and on a desktop."""

import io

import pytest

from approvals.models import Application
from members.models import Person
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.conftest import sms_code_for, valid_id_number


def _tiny_png(path):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 20), (180, 20, 20)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device, viewport, mobile, n", [("phone", PHONE, "13700137001", 501), ("desktop", DESKTOP, "13700137002", 502)])
def test_register_consent_profile_award_choose_county_check_eligibility_submit(
    new_page, live_server, hebei, tmp_path, device, viewport, mobile, n
):
    from django.core.cache import cache

    cache.clear()
    page = new_page(viewport=viewport)
    id_number = valid_id_number(n)

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="注册并申请入会").click()
    page.fill("#id_mobile", mobile[:3] + " " + mobile[3:7] + " " + mobile[7:])
    page.fill("#id_email", f"{mobile}@example.com")
    page.get_by_role("button", name="获取验证码").click()
    assert page.locator(".msg-success").inner_text().startswith("验证码已发送至 " + mobile[:3] + "****")
    # The button waits out the resend interval.
    assert page.get_by_role("button", name="获取验证码").is_disabled()
    page.fill("#id_code", sms_code_for(mobile))
    page.fill("#id_password", "Kexie-2026-ok")
    page.fill("#id_password_confirm", "Kexie-2026-ok")
    assert _fits_the_screen(page)
    screenshot(page, f"applicant-register-{device}")
    page.get_by_role("button", name="注册").click()

    # Consent comes before any ID number is asked for.
    assert "/consent/" in page.url
    assert page.locator("#id_id_number").count() == 0
    assert page.get_by_text("加密存储").count() == 1
    page.get_by_role("button", name="我已阅读并同意").click()

    assert page.url.endswith("/me/profile/")
    page.fill("#id_name", "陈科技")
    page.select_option("#id_gender", "male")
    page.fill("#id_birth_date", "1980-01-01")
    page.fill("#id_id_number", id_number)
    page.fill("#id_employer", "井陉县农业技术推广站")
    page.fill("#id_discipline", "农学")
    page.select_option("#id_education", "junior_college")
    page.select_option("#id_title", "junior")
    assert _fits_the_screen(page)
    page.get_by_role("button", name="保存个人资料").click()
    assert page.locator(".msg-success").count() == 1
    masked = id_number[:6] + "********" + id_number[-4:]
    assert page.locator("#id-number-masked").inner_text() == masked
    assert id_number not in page.content()

    page.get_by_role("link", name="添加奖励或荣誉").click()
    page.fill("#id_name", "井陉县科技进步奖")
    page.select_option("#id_level", "county")
    page.fill("#id_year", "2022")
    page.fill("#id_issuer", "井陉县人民政府")
    page.set_input_files("#id_evidence", str(_tiny_png(tmp_path / "证书.png")))
    page.get_by_role("button", name="保存").click()
    assert page.get_by_role("cell", name="井陉县科技进步奖").count() == 1
    assert page.get_by_role("link", name="下载").count() == 1

    page.get_by_role("link", name="下一步：选择组织").click()
    assert page.get_by_text("本人工作单位").count() == 1
    page.fill("#id_q", "井陉县")
    page.get_by_role("button", name="搜索").click()
    assert _fits_the_screen(page)
    page.get_by_role("link", name="申请加入石家庄市井陉县科学技术协会").click()

    panel = page.locator("#eligibility li")
    assert panel.count() == 2
    assert page.locator("#eligibility li.met").count() == 2
    assert _fits_the_screen(page)
    screenshot(page, f"applicant-eligibility-{device}")
    page.get_by_label("本人热爱祖国").check()
    page.get_by_role("button", name="提交申请").click()

    assert "/me/applications/" in page.url
    assert page.locator("#application-status").inner_text().strip() == "待审核"
    assert page.locator("#timeline").inner_text().count("提交申请") == 1
    assert _fits_the_screen(page)
    screenshot(page, f"applicant-status-{device}")

    person = Person.objects.get(user__username=mobile)
    application = Application.objects.get(person=person)
    assert application.org.name == "石家庄市井陉县科学技术协会"
    assert application.status == "submitted" and application.meets_criteria
    assert person.awards.get().evidence.name.endswith(".png")
