"""Every destructive or irreversible action asks first, in Chinese, saying what will happen; "取消" changes
nothing, "确定" goes ahead. Without JavaScript the same forms still work."""

import pytest

from approvals import services as approvals
from approvals.models import Application
from members.models import Consent, Membership
from members.services import census as census_services
from members.services.consent import consent_give
from orgs.models import Org
from tests.browser.conftest import DESKTOP, PHONE, login
from tests.conftest import PASSWORD
from tests.members.conftest import census_row, csv_upload


def _confirmed(page, click, *, expect: str) -> str:
    """Click, answer 取消 and check nothing was sent; click again, answer 确定. Returns the question asked."""
    url = page.url
    page.dialogs.dismiss_next()
    click()
    page.wait_for_load_state("networkidle")
    assert page.url == url, "取消 must not submit"
    asked = page.dialogs.messages[-1]
    assert expect in asked, asked
    click()
    page.wait_for_load_state("networkidle")
    assert page.dialogs.messages[-1] == asked
    return asked


@pytest.fixture
def county(hebei):
    return Org.objects.filter(parent__name="石家庄市科学技术协会", kind="kexie", level="county").order_by("code")[0]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_review_decisions_and_batch_approval_ask_before_they_are_final(new_page, live_server, county, make_admin,
                                                                        make_applicant):
    make_admin(county, "confirm_reviewer")
    rejected, returned, *batch = [make_applicant(n) for n in ("拒绝者", "退回者", "批量甲", "批量乙")]
    applications = {
        p.name: approvals.application_submit(person=p, org=county, declaration_accepted=True)
        for p in (rejected, returned, *batch)
    }
    page = new_page(viewport=DESKTOP)
    login(page, live_server, "confirm_reviewer", PASSWORD)

    page.goto(f"{live_server.url}/console/review/{applications['拒绝者'].pk}/")
    page.get_by_label("不予通过", exact=True).check()
    page.fill("#id_comment", "所获奖励不属于科技类奖励")
    asked = _confirmed(page, lambda: page.get_by_role("button", name="提交审核决定").click(), expect="不予通过")
    assert asked == "确定对拒绝者的申请作出“不予通过”的决定吗？理由将通知申请人，决定不能撤销。"
    assert page.locator(".msg-success").inner_text() == "已作出不予通过的决定"

    # Returning for correction can be undone by the applicant's resubmission: no question.
    asked_before = len(page.dialogs.messages)
    page.goto(f"{live_server.url}/console/review/{applications['退回者'].pk}/")
    page.get_by_label("退回修改", exact=True).check()
    page.fill("#id_comment", "请补充奖励证明")
    page.get_by_role("button", name="提交审核决定").click()
    page.wait_for_load_state("networkidle")
    assert len(page.dialogs.messages) == asked_before
    assert page.locator(".msg-success").inner_text() == "已退回申请人修改"

    page.goto(f"{live_server.url}/console/review/")
    for name in ("批量甲", "批量乙"):
        page.get_by_label(f"选择 {name}").check()
    asked = _confirmed(page, lambda: page.get_by_role("button", name="批准所选（仅符合条件者）").click(),
                       expect="发放会员编号")
    assert "批准不能撤销" in asked
    assert page.locator(".msg-success").inner_text() == "已批准 2 条申请"
    statuses = dict(Application.objects.filter(org=county).values_list("person__name", "status"))
    assert statuses == {"拒绝者": "rejected", "退回者": "returned", "批量甲": "approved", "批量乙": "approved"}

    # Approving one application asks too, naming the person and the organisation.
    other = approvals.application_submit(person=make_applicant("单个批准"), org=county, declaration_accepted=True)
    page.goto(f"{live_server.url}/console/review/{other.pk}/")
    page.get_by_label("批准", exact=True).check()
    asked = _confirmed(page, lambda: page.get_by_role("button", name="提交审核决定").click(), expect="单个批准")
    assert asked == f"确定批准单个批准成为{county.name}的会员吗？批准后将发放会员编号并通知本人，不能撤销。"
    other.refresh_from_db()
    assert other.status == Application.Status.APPROVED


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_lapse_withdraw_transfer_deactivate_and_census_commit_ask_first(new_page, live_server, county, make_admin,
                                                                       make_applicant):
    city = county.parent
    other_county = Org.objects.filter(parent=city, kind="kexie", level="county").order_by("code")[1]
    city_admin = make_admin(city, "confirm_city")
    make_admin(county, "confirm_county_admin")
    members = [
        approvals.application_approve(
            application=approvals.application_submit(person=make_applicant(n), org=county, declaration_accepted=True),
            reviewer=city_admin,
        )
        for n in ("失效者", "转会者")
    ]
    page = new_page(viewport=PHONE)
    login(page, live_server, "confirm_city", PASSWORD)

    lapsing, moving = members
    page.goto(f"{live_server.url}/console/memberships/{lapsing.pk}/")
    page.select_option("#status_status", "lapsed")
    asked = _confirmed(page, lambda: page.get_by_role("button", name="变更状态").click(), expect="失效")
    assert asked == "确定将失效者的会员资格设为“失效”吗？失效后不再计入有效会员，之后可恢复有效。"
    lapsing.refresh_from_db()
    assert lapsing.status == Membership.Status.LAPSED
    page.select_option("#status_status", "withdrawn")
    asked = _confirmed(page, lambda: page.get_by_role("button", name="变更状态").click(), expect="退会")
    assert "不能恢复" in asked
    lapsing.refresh_from_db()
    assert lapsing.status == Membership.Status.WITHDRAWN

    page.goto(f"{live_server.url}/console/memberships/{moving.pk}/")
    page.select_option("#transfer_target_org", str(other_county.pk))
    asked = _confirmed(page, lambda: page.get_by_role("button", name="转入所选组织").click(), expect="转会不能撤销")
    assert asked.startswith("确定将转会者转入所选组织吗？在" + county.name)
    moving.refresh_from_db()
    assert moving.status == Membership.Status.TRANSFERRED

    page.goto(f"{live_server.url}/console/accounts/")
    row = page.locator("tr", has=page.get_by_role("cell", name="confirm_county_admin", exact=True))
    asked = _confirmed(page, lambda: row.get_by_role("button", name="停用").click(), expect="confirm_county_admin")
    assert asked == "确定停用账号 confirm_county_admin 吗？停用后该账号立即不能登录，可随时重新启用。"
    assert "已停用账号 confirm_county_admin" in page.locator(".msg-success").inner_text()
    # Enabling again is harmless: no question.
    asked_before = len(page.dialogs.messages)
    row.get_by_role("button", name="启用").click()
    page.wait_for_load_state("networkidle")
    assert len(page.dialogs.messages) == asked_before

    census = census_services.census_import_create(
        actor=city_admin, org=county, file=csv_upload([census_row(81_001), census_row(81_002)])
    )
    census_services.census_validate(census_id=census.pk)
    page.goto(f"{live_server.url}/console/census/{census.pk}/")
    asked = _confirmed(page, lambda: page.get_by_role("button", name="导入 2 条有效记录").click(), expect="导入不能撤销")
    assert asked.startswith("确定导入 2 条有效记录吗？将在" + county.name)
    census.refresh_from_db()
    assert census.status == "committed" and census.imported_rows == 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_applicant_is_asked_before_withdrawing_consent_an_application_or_an_award(new_page, live_server, county,
                                                                                  make_applicant):
    person = make_applicant("撤回人")
    consent_give(user=person.user)
    application = approvals.application_submit(person=person, org=county, declaration_accepted=True)
    page = new_page(viewport=PHONE)
    login(page, live_server, person.user.username, PASSWORD)

    page.goto(f"{live_server.url}/me/applications/{application.pk}/")
    _confirmed(page, lambda: page.get_by_role("button", name="撤回申请").click(), expect="撤回后如需加入须重新申请")
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN

    page.goto(f"{live_server.url}/me/profile/")
    asked = _confirmed(page, lambda: page.get_by_role("row", name="科技进步奖").get_by_role("button", name="删除").click(),
                       expect="科技进步奖")
    assert "不能恢复" in asked
    assert not person.awards.exists()

    page.goto(f"{live_server.url}/consent/")
    asked = _confirmed(page, lambda: page.get_by_role("button", name="撤回授权").click(), expect="身份证号码")
    assert asked.startswith("确定撤回个人信息授权吗？")
    assert not Consent.objects.filter(user=person.user, withdrawn_at__isnull=True).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_forms_still_submit_and_the_whole_tree_shows(new_page, live_server, county,
                                                                            make_admin):
    make_admin(county.parent, "nojs_city")
    make_admin(county, "nojs_county")
    page = new_page(viewport=DESKTOP, java_script_enabled=False)
    login(page, live_server, "nojs_city", PASSWORD)
    page.goto(f"{live_server.url}/console/orgs/")
    assert page.locator("#org-tree tbody tr:visible").count() == Org.objects.in_subtree(county.parent).count()
    assert page.locator("[data-tree-controls]").is_hidden()
    page.goto(f"{live_server.url}/console/accounts/")
    row = page.locator("tr", has=page.get_by_role("cell", name="nojs_county", exact=True))
    row.get_by_role("button", name="停用").click()
    page.wait_for_load_state("networkidle")
    assert "已停用账号 nojs_county" in page.locator(".msg-success").inner_text()
    assert page.dialogs.messages == []
