"""The 审计管理员 filters the audit trail, exports it, and finds the row someone altered in the database."""

import csv

import pytest

from orgs.models import AuditEvent
from orgs.services.audit import audit_record
from tests.browser.conftest import DESKTOP, login, screenshot
from tests.conftest import PASSWORD
from tests.orgs.test_audit_chain import tamper


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_audit_officer_exports_and_finds_an_altered_row(new_page, live_server, hebei, county_a, admin_a,
                                                            audit_officer):
    events = [audit_record(actor=admin_a, action="target.set", obj=county_a, org=county_a, comment=f"第{i}次")
              for i in range(5)]
    page = new_page(viewport=DESKTOP)
    login(page, live_server, "audit_officer", PASSWORD)
    page.get_by_role("heading", name="审计记录").wait_for()  # the officer lands on the console
    page.select_option("#id_action", "target.set")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#audit-table tbody tr").count() == 5
    assert "修改年度目标" in page.locator("#audit-table").inner_text()
    screenshot(page, "audit-console")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 CSV").click()
    with open(download_info.value.path(), encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 6 and {r[6] for r in rows[1:]} == {f"第{i}次" for i in range(5)}
    assert AuditEvent.objects.filter(action="export.audit", actor=audit_officer).exists()

    tamper("UPDATE orgs_auditevent SET comment = %s WHERE id = %s", ["被改过", events[2].pk])
    page.get_by_role("link", name="校验完整性").click()
    page.get_by_role("button", name="开始校验").click()
    page.locator("#first-break").wait_for()
    assert f"第 {events[2].pk} 号记录" in page.locator("#first-break").inner_text()
    screenshot(page, "audit-verify-broken")
