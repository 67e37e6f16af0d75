"""Review decisions beyond approval: return for correction → resubmit → reject, batch approve, withdraw."""

import pytest

from approvals import services
from approvals.models import Application
from orgs.models import Org
from tests.browser.conftest import login
from tests.conftest import PASSWORD


def _decide(page, decision: str, comment: str):
    page.get_by_label(decision, exact=True).check()
    page.fill("#id_comment", comment)
    page.get_by_role("button", name="提交审核决定").click()
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_return_resubmit_reject_batch_approve_and_withdraw(new_page, live_server, hebei, make_admin, make_applicant):
    county = Org.objects.filter(parent__name="石家庄市科学技术协会", kind="kexie", level="county").order_by("code")[0]
    make_admin(county, "review_pages_admin")
    returned = make_applicant("退回者")
    batch = [make_applicant(name) for name in ("批量甲", "批量乙")]
    leaving = make_applicant("撤回者")
    for person in (returned, *batch, leaving):
        services.application_submit(person=person, org=county, declaration_accepted=True)

    admin = new_page()
    login(admin, live_server, "review_pages_admin", PASSWORD)
    admin.get_by_role("link", name="审核", exact=True).click()
    admin.get_by_role("link", name="退回者").click()
    _decide(admin, "退回修改", "请在说明中补充县级奖励的颁发单位")
    assert admin.locator(".msg-success").inner_text() == "已退回申请人修改"

    # The applicant sees the reviewer's comment, corrects, resubmits; the timeline records both steps.
    applicant = new_page()
    login(applicant, live_server, returned.user.username, PASSWORD)
    applicant.goto(f"{live_server.url}/me/applications/")
    applicant.get_by_role("link", name=county.name).click()
    assert "退回修改" in applicant.locator("#application-status").inner_text()
    assert "请在说明中补充县级奖励的颁发单位" in applicant.content()
    applicant.get_by_role("link", name="修改并重新提交").click()
    applicant.fill("#id_explanation", "县级奖励由井陉县人民政府颁发")
    applicant.get_by_role("button", name="重新提交").click()
    applicant.wait_for_load_state("networkidle")
    assert applicant.locator(".msg-success").inner_text() == "申请已重新提交。"
    timeline = applicant.locator("#timeline").inner_text()
    assert "退回修改：请在说明中补充县级奖励的颁发单位" in timeline and "修改后重新提交" in timeline

    # Another applicant withdraws an open application (the confirm dialog is accepted).
    withdrawer = new_page()
    login(withdrawer, live_server, leaving.user.username, PASSWORD)
    withdrawer.goto(f"{live_server.url}/me/applications/")
    withdrawer.get_by_role("link", name=county.name).click()
    withdrawer.get_by_role("button", name="撤回申请").click()
    withdrawer.wait_for_load_state("networkidle")
    assert withdrawer.locator(".msg-success").inner_text() == "申请已撤回。"
    assert "已撤回" in withdrawer.locator("#application-status").inner_text()
    assert "本人撤回申请" in withdrawer.locator("#timeline").inner_text()
    assert withdrawer.get_by_role("button", name="撤回申请").count() == 0

    # The reviewer sees the resubmitted explanation and rejects with a reason.
    admin.goto(f"{live_server.url}/console/review/")
    assert admin.get_by_role("row", name="撤回者").count() == 0
    admin.get_by_role("link", name="退回者").click()
    assert "县级奖励由井陉县人民政府颁发" in admin.content()
    admin.get_by_label("不予通过", exact=True).check()
    admin.get_by_role("button", name="提交审核决定").click()
    assert admin.locator("#decision .error").inner_text() == "不予通过时必须填写理由"
    assert admin.get_by_label("不予通过", exact=True).is_checked()  # the choice survives the error
    _decide(admin, "不予通过", "所获奖励不属于科技类奖励")
    assert admin.locator(".msg-success").inner_text() == "已作出不予通过的决定"
    assert "所获奖励不属于科技类奖励" in admin.locator("#history").inner_text()

    # Batch approve the two remaining eligible applications from the queue.
    admin.goto(f"{live_server.url}/console/review/")
    assert admin.locator("#queue tbody tr").count() == 2
    for name in ("批量甲", "批量乙"):
        admin.get_by_label(f"选择 {name}").check()
    admin.fill("#batch-comment", "材料齐全，批量通过")
    admin.get_by_role("button", name="批准所选（仅符合条件者）").click()
    admin.wait_for_load_state("networkidle")
    assert admin.locator(".msg-success").inner_text() == "已批准 2 条申请"
    assert "没有符合条件的申请" in admin.locator("#queue").inner_text()

    statuses = dict(Application.objects.filter(org=county).values_list("person__name", "status"))
    assert statuses == {"退回者": "rejected", "批量甲": "approved", "批量乙": "approved", "撤回者": "withdrawn"}

    applicant.reload()
    assert "不予通过" in applicant.locator("#application-status").inner_text()
    assert "不予通过：所获奖励不属于科技类奖励" in applicant.locator("#timeline").inner_text()
