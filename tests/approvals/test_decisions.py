"""Decisions through the console: approve (with a reason when criteria are not met), return, reject, batch."""

import pytest
from django.test import Client
from django.urls import reverse

from approvals import services
from approvals.models import Application
from members.models import Membership
from orgs.models import AuditEvent


def _decide(client, application, **data):
    return client.post(reverse("approvals:decide", args=[application.pk]), data, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_approve_grants_a_membership_at_the_orgs_level_with_a_number(client, admin_a, county_a, submit):
    application = submit(county_a, "批准人")
    client.force_login(admin_a)
    response = _decide(client, application, decision="approve", comment="同意")
    membership = Membership.objects.get(application=application)
    assert membership.org == county_a and membership.level == "county" and membership.status == "active"
    assert membership.number.startswith(f"X") and f"-{county_a.code}-" in membership.number
    assert any(membership.number in m for m in _messages(response))
    event = AuditEvent.objects.for_object(application).get(action="application.approve")
    assert event.actor == admin_a and event.data["member_number"] == membership.number


@pytest.mark.django_db
def test_approving_a_non_eligible_applicant_needs_a_written_reason(client, admin_a, county_a, submit):
    application = submit(county_a, "不合格", education="high_school", title="none", award_level=None)
    client.force_login(admin_a)
    response = client.post(reverse("approvals:decide", args=[application.pk]), {"decision": "approve", "comment": "同意"})
    assert response.status_code == 400
    assert "批准时必须填写理由" in response.content.decode()
    assert "同意" in response.content.decode()  # what was typed is kept
    assert not Membership.objects.filter(application=application).exists()

    _decide(client, application, decision="approve", override_reason="县级农技推广骨干，经集体研究同意")
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert application.override_reason == "县级农技推广骨干，经集体研究同意"
    event = AuditEvent.objects.for_object(application).get(action="application.approve")
    assert event.comment == application.override_reason and event.data["override"] is True


@pytest.mark.django_db
def test_return_needs_a_comment_and_lets_the_applicant_resubmit(client, admin_a, county_a, submit):
    application = submit(county_a, "退回人")
    client.force_login(admin_a)
    response = client.post(reverse("approvals:decide", args=[application.pk]), {"decision": "return"})
    assert response.status_code == 400 and "必须写明需要修改的内容" in response.content.decode()
    _decide(client, application, decision="return", comment="请上传获奖证书扫描件")
    application.refresh_from_db()
    assert application.status == Application.Status.RETURNED
    assert application.decision_comment == "请上传获奖证书扫描件"
    services.application_resubmit(application=application, person=application.person)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


@pytest.mark.django_db
def test_reject_needs_a_reason(client, admin_a, county_a, submit):
    application = submit(county_a, "驳回人")
    client.force_login(admin_a)
    response = client.post(reverse("approvals:decide", args=[application.pk]), {"decision": "reject", "comment": "  "})
    assert response.status_code == 400
    _decide(client, application, decision="reject", comment="材料与事实不符")
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    assert AuditEvent.objects.for_object(application).filter(action="application.reject", comment="材料与事实不符").exists()


@pytest.mark.django_db
def test_a_second_decision_on_a_decided_application_shows_already_handled(client, admin_a, city_admin, county_a, submit):
    application = submit(county_a, "先到者")
    services.application_approve(application=application, reviewer=city_admin)
    client.force_login(admin_a)
    response = _decide(client, application, decision="reject", comment="不同意")
    assert any(m.startswith("该申请已被处理") for m in _messages(response))
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert Membership.objects.filter(application=application).count() == 1


@pytest.mark.django_db
def test_batch_approve_approves_only_the_eligible_selected(client, admin_a, county_a, submit):
    good1, good2 = submit(county_a, "合格一"), submit(county_a, "合格二")
    weak = submit(county_a, "不合格", education="high_school", title="none", award_level=None)
    untouched = submit(county_a, "未选")
    client.force_login(admin_a)
    response = client.post(
        reverse("approvals:batch_approve"), {"ids": [good1.pk, good2.pk, weak.pk], "comment": "批量同意"}, follow=True
    )
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert statuses[good1.pk] == statuses[good2.pk] == "approved"
    assert statuses[weak.pk] == statuses[untouched.pk] == "submitted"
    messages = _messages(response)
    assert "已批准 2 条申请" in messages and any("不合格" in m and "逐个审核" in m for m in messages)


@pytest.mark.django_db
def test_batch_with_an_application_outside_the_subtree_is_404_and_approves_nothing(client, admin_a, county_a, county_b, submit):
    mine, sibling = submit(county_a, "本县"), submit(county_b, "邻县")
    client.force_login(admin_a)
    response = client.post(reverse("approvals:batch_approve"), {"ids": [mine.pk, sibling.pk]})
    assert response.status_code == 404
    assert not Application.objects.filter(status="approved").exists()


@pytest.mark.django_db
def test_batch_without_selection_says_so(client, admin_a):
    client.force_login(admin_a)
    response = client.post(reverse("approvals:batch_approve"), {"ids": []}, follow=True)
    assert "请至少选择一条申请" in _messages(response)
    response = client.post(reverse("approvals:batch_approve"), {"ids": ["x"]}, follow=True)
    assert any("所选申请无效" in m for m in _messages(response))


@pytest.mark.django_db
def test_a_decision_post_without_csrf_token_is_refused(admin_a, county_a, submit):
    application = submit(county_a, "跨站")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_a)
    response = client.post(reverse("approvals:decide", args=[application.pk]), {"decision": "approve"})
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


@pytest.mark.django_db
def test_sibling_admin_cannot_decide(client, admin_b, county_a, submit):
    application = submit(county_a, "邻县申请")
    client.force_login(admin_b)
    response = client.post(reverse("approvals:decide", args=[application.pk]), {"decision": "approve"})
    assert response.status_code == 404
    assert client.get(reverse("approvals:detail", args=[application.pk])).status_code == 404
