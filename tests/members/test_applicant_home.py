"""The applicant's way: a step indicator until they apply, a reference number and the expected handling after
submitting, and after approval a home page and a notice that lead to the member's card and certificate."""

import pytest
from django.urls import reverse

from approvals import services
from approvals.models import Application
from members.models import Notice
from members.selectors.people import applicant_steps

pytestmark = pytest.mark.django_db


def _home(client) -> str:
    return client.get(reverse("members:me")).content.decode()


def test_steps_mark_the_ones_before_the_current_as_done():
    states = [(s.key, s.state) for s in applicant_steps("profile")]
    assert states == [
        ("register", "done"), ("consent", "done"), ("profile", "current"), ("choose", "todo"), ("submit", "todo")
    ]


def test_each_page_of_the_way_shows_its_step(client, make_user, applicant, county_a):
    assert 'aria-current="step"' in client.get(reverse("members:register")).content.decode()
    client.force_login(applicant.user)
    for url, label in (
        (reverse("members:consent"), "授权"),
        (reverse("members:profile"), "个人资料"),
        (reverse("applications:org_choose"), "选择组织"),
        (reverse("applications:apply", args=[county_a.pk]), "提交申请"),
    ):
        page = client.get(url).content.decode()
        current = page[page.index('aria-current="step"'):]
        assert current[: current.index("</li>")].count(label) == 1, url


def test_the_home_page_leads_a_new_account_to_consent_then_profile_then_an_organisation(client, make_user, consented):
    user = make_user("13900000001", mobile="13900000001")
    client.force_login(user)
    page = _home(client)
    assert reverse("members:consent") in page and "阅读授权说明" in page and 'class="steps"' in page
    consented(user)
    assert "完善个人资料" in _home(client)


def test_after_submitting_the_applicant_gets_a_reference_and_the_expected_handling(client, applicant, county_a):
    client.force_login(applicant.user)
    response = client.post(
        reverse("applications:apply", args=[county_a.pk]), {"declaration": "on", "explanation": ""}, follow=True
    )
    application = Application.objects.get(person=applicant)
    assert application.reference.startswith("SQ") and application.reference.endswith(f"{application.pk:06d}")
    page = response.content.decode()
    assert f"申请编号 {application.reference}" in page
    assert f"办理时限为 {application.handling_days} 个工作日" in page and 'id="what-happens-next"' in page
    notice = Notice.objects.get(user=applicant.user, title="您的入会申请已提交")
    assert application.reference in notice.body
    if application.due_on:  # the working-day calendar covers this year
        assert f"预计 {application.due_on:%Y-%m-%d} 前办结" in notice.body
    home = _home(client)
    assert 'id="application-progress"' in home and application.reference in home
    assert "选择组织，申请入会" not in home and 'class="steps"' not in home


def test_a_returned_application_is_followed_from_the_home_page(client, applicant, admin_a, county_a):
    application = services.application_submit(person=applicant, org=county_a, declaration_accepted=True)
    services.application_return(application=application, reviewer=admin_a, comment="请补充获奖证书")
    client.force_login(applicant.user)
    home = _home(client)
    assert "请补充获奖证书" in home
    assert reverse("applications:application_resubmit", args=[application.pk]) in home


def test_after_approval_the_home_page_and_the_notice_lead_to_the_card_and_certificate(client, applicant, admin_a, county_a):
    application = services.application_submit(person=applicant, org=county_a, declaration_accepted=True)
    membership = services.application_approve(application=application, reviewer=admin_a)
    card = reverse("members:membership", args=[membership.pk])
    download = reverse("certificates:download", args=[membership.pk])

    notice = Notice.objects.get(user=applicant.user, title="您的入会申请已批准")
    assert notice.link == card and "会员证" in notice.body and membership.number in notice.body

    client.force_login(applicant.user)
    home = _home(client)
    assert 'id="membership-cards"' in home and membership.number in home
    assert card in home and download in home
    assert "选择组织，申请入会" not in home and 'class="steps"' not in home

    page = client.get(card).content.decode()
    assert membership.number in page and county_a.name in page and download in page
    detail = client.get(reverse("applications:application_detail", args=[application.pk])).content.decode()
    assert card in detail and download in detail
    assert client.get(download).content.startswith(b"%PDF")


def test_a_rejected_applicant_may_apply_again_from_the_home_page(client, applicant, admin_a, county_a):
    application = services.application_submit(person=applicant, org=county_a, declaration_accepted=True)
    services.application_reject(application=application, reviewer=admin_a, comment="奖项级别不足")
    client.force_login(applicant.user)
    home = _home(client)
    assert "奖项级别不足" in home and "选择组织，申请入会" in home and 'class="steps"' in home


def test_nobody_else_opens_a_members_card(client, applicant, admin_a, county_a, make_applicant):
    application = services.application_submit(person=applicant, org=county_a, declaration_accepted=True)
    membership = services.application_approve(application=application, reviewer=admin_a)
    client.force_login(make_applicant("旁人").user)
    assert client.get(reverse("members:membership", args=[membership.pk])).status_code == 404
    client.force_login(admin_a)
    assert client.get(reverse("members:membership", args=[membership.pk])).status_code == 404


def test_reviewers_find_an_application_by_its_reference(client, applicant, admin_a, county_a, submit):
    application = services.application_submit(person=applicant, org=county_a, declaration_accepted=True)
    submit(county_a, "其他人")
    client.force_login(admin_a)
    for typed in (application.reference, application.reference.lower().replace("-", "")):
        page = client.get(reverse("approvals:queue"), {"q": typed}).context["page"]
        assert [a.pk for a in page] == [application.pk], typed


def _notify(user, n: int, *, read: bool) -> None:
    from django.utils import timezone

    for i in range(n):
        Notice.objects.create(user=user, title=f"通知{i}", body="", read_at=timezone.now() if read else None)


def test_the_home_page_counts_awards_and_unread_notices_beyond_the_five_shown(client, applicant):
    from members.models import Award

    Award.objects.create(person=applicant, year=2020, name="第二项奖励", level="city")
    _notify(applicant.user, 4, read=False)
    _notify(applicant.user, 4, read=True)  # the newest five shown hold one unread; eight in all, four unread
    client.force_login(applicant.user)
    response = client.get(reverse("members:me"))
    assert response.context["awards_count"] == Award.objects.filter(person=applicant).count() == 2
    assert response.context["unread"] == 4 and len(response.context["notices"]) == 5
    assert "4 条未读" in response.content.decode()
    Notice.objects.filter(user=applicant.user).update(read_at=None)
    assert client.get(reverse("members:me")).context["unread"] == 8


def test_an_account_without_notices_or_profile_has_none_unread(client, make_user):
    client.force_login(make_user("13900000002", mobile="13900000002"))
    response = client.get(reverse("members:me"))
    assert response.context["unread"] == 0 and response.context["notices"] == []
    assert response.context["awards_count"] == 0


def test_the_home_page_queries_do_not_grow_with_what_the_person_has(
    client, applicant, admin_a, county_a, django_assert_max_num_queries
):
    from members.models import Award

    client.force_login(applicant.user)
    with django_assert_max_num_queries(9) as few:
        client.get(reverse("members:me"))
    application = services.application_submit(person=applicant, org=county_a, declaration_accepted=True)
    services.application_approve(application=application, reviewer=admin_a)
    for year in range(2010, 2020):
        Award.objects.create(person=applicant, year=year, name=f"奖励{year}", level="city")
    _notify(applicant.user, 12, read=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("members:me"))
