"""Choosing an org, the eligibility panel, submitting, the status timeline, resubmit and withdraw."""

import pytest
from django.urls import reverse

from approvals.models import Application
from approvals.services import (
    application_approve,
    application_reject,
    application_return,
    application_submit,
    recommendation_create,
)
from orgs.models import Org

pytestmark = pytest.mark.django_db


@pytest.fixture
def jingxing(hebei):
    return Org.objects.get(name="石家庄市井陉县科学技术协会")


def test_search_finds_the_county_kexie_and_links_only_active_orgs(
    applicant_client, jingxing, county_b, django_assert_max_num_queries
):
    Org.objects.filter(pk=county_b.pk).update(is_active=False)
    page = applicant_client.get(reverse("applications:org_choose"), {"q": "井陉县"}).content.decode()
    with django_assert_max_num_queries(10):
        many = applicant_client.get(reverse("applications:org_choose"), {"q": "科学技术协会"})
    assert len(many.context["page"].object_list) == 20 and many.context["page"].has_next()
    assert jingxing.name in page and reverse("applications:apply", args=[jingxing.pk]) in page
    assert "本人工作单位" in page and "市级学会" in page
    inactive = applicant_client.get(reverse("applications:org_choose"), {"q": county_b.name}).content.decode()
    assert "暂不接受申请" in inactive and reverse("applications:apply", args=[county_b.pk]) not in inactive
    assert applicant_client.get(reverse("applications:apply", args=[county_b.pk])).status_code == 404


def test_the_tree_can_be_browsed_from_the_province_down(applicant_client, city, jingxing, django_assert_max_num_queries):
    top = applicant_client.get(reverse("applications:org_choose")).content.decode()
    assert "河北省科学技术协会" in top
    with django_assert_max_num_queries(12):
        page = applicant_client.get(reverse("applications:org_choose"), {"parent": city.pk}).content.decode()
    assert jingxing.name in page and "河北省科学技术协会" in page  # crumbs


def test_the_eligibility_panel_shows_each_criterion_met_or_not(make_applicant, consented, client, city):
    person = make_applicant("王二", education="high_school", title="none", award_level="county")
    consented(person.user)
    client.force_login(person.user)
    page = client.get(reverse("applications:apply", args=[city.pk])).content.decode()
    assert page.count('class="unmet"') == 2
    assert "大学专科及以上学历，或中级及以上职称" in page and "有条件暂不符合" in page


def test_rural_experts_are_exempt_from_education_and_title_at_county_level(make_applicant, consented, client, jingxing):
    person = make_applicant("王三", education="", title="none", award_level="county", is_rural_expert=True)
    consented(person.user)
    client.force_login(person.user)
    page = client.get(reverse("applications:apply", args=[jingxing.pk])).content.decode()
    assert page.count('class="met"') == 2 and "不受学历职称限制" in page


def test_submit_needs_the_declaration_and_keeps_the_explanation(applicant_client, jingxing):
    response = applicant_client.post(reverse("applications:apply", args=[jingxing.pk]), {"explanation": "我的说明"})
    assert response.status_code == 200
    assert "请阅读并勾选入会声明" in response.content.decode() and "我的说明" in response.content.decode()
    assert not Application.objects.exists()


def test_an_unmet_criterion_does_not_block_and_the_explanation_is_stored(make_applicant, consented, client, city):
    person = make_applicant("王四", education="high_school", title="none", award_level=None)
    consented(person.user)
    client.force_login(person.user)
    response = client.post(reverse("applications:apply", args=[city.pk]), {"explanation": "从事技术推广二十年", "declaration": "on"})
    application = Application.objects.get(person=person)
    assert response["Location"] == reverse("applications:application_detail", args=[application.pk])
    assert application.meets_criteria is False and application.explanation == "从事技术推广二十年"


def test_a_second_submit_to_the_same_org_says_so(applicant_client, applicant, jingxing):
    url = reverse("applications:apply", args=[jingxing.pk])
    applicant_client.post(url, {"declaration": "on"})
    response = applicant_client.post(url, {"declaration": "on"})
    assert response.status_code == 200
    assert "请勿重复提交" in response.content.decode()
    assert Application.objects.filter(person=applicant).count() == 1


def test_apply_posting_status_org_or_reviewer_fields_changes_nothing(applicant_client, applicant, jingxing, county_b, admin_a):
    applicant_client.post(
        reverse("applications:apply", args=[jingxing.pk]),
        {
            "declaration": "on",
            "status": "approved",
            "org": county_b.pk,
            "person": 999,
            "decided_by": admin_a.pk,
            "decision_comment": "自己批准",
            "meets_criteria": "False",
            "override_reason": "x",
            "eligibility": "[]",
        },
    )
    application = Application.objects.get(person=applicant)
    assert application.status == "submitted" and application.org_id == jingxing.pk
    assert application.decided_by_id is None and application.decision_comment == "" and application.override_reason == ""
    assert application.eligibility and application.meets_criteria is True


def test_resubmit_posting_status_or_reviewer_fields_changes_nothing(applicant_client, applicant, county_a, admin_a, county_b):
    application = application_submit(person=applicant, org=county_a, declaration_accepted=True)
    application_return(application=application, reviewer=admin_a, comment="请补充证书")
    response = applicant_client.post(
        reverse("applications:application_resubmit", args=[application.pk]),
        {"explanation": "已补充", "status": "approved", "org": county_b.pk, "decided_by": applicant.user.pk},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "submitted" and application.org_id == county_a.pk
    assert application.decided_by_id == admin_a.pk and application.explanation == "已补充"


def test_the_timeline_shows_every_step_to_a_decision_at_the_upper_org(applicant_client, applicant, county_a, city, admin_a, city_admin):
    application = application_submit(person=applicant, org=county_a, declaration_accepted=True)
    application_return(application=application, reviewer=admin_a, comment="请补充获奖证书")
    applicant_client.post(reverse("applications:application_resubmit", args=[application.pk]), {"explanation": "已补充"})
    membership = application_approve(application=application, reviewer=admin_a)
    recommendation_create(
        actor=admin_a, from_org=county_a, person=applicant, opinion="业绩突出", source_membership=membership
    )
    upper = Application.objects.get(person=applicant, org=city)
    application_reject(application=upper, reviewer=city_admin, comment="名额已满")

    page = applicant_client.get(reverse("applications:application_detail", args=[application.pk])).content.decode()
    steps = ["提交申请", "退回修改：请补充获奖证书", "修改后重新提交", f"已批准，会员编号 {membership.number}",
             f"已被推荐至{city.name}", f"{city.name}不予通过：名额已满"]
    positions = [page.find(s) for s in steps]
    assert all(p > 0 for p in positions), list(zip(steps, positions))
    assert positions == sorted(positions)

    upper_page = applicant_client.get(reverse("applications:application_detail", args=[upper.pk])).content.decode()
    assert f"{county_a.name}将您推荐至{city.name}" in upper_page and "名额已满" in upper_page


def test_an_open_application_can_be_withdrawn_and_then_not_resubmitted(applicant_client, applicant, county_a):
    application = application_submit(person=applicant, org=county_a, declaration_accepted=True)
    applicant_client.post(reverse("applications:application_withdraw", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == "withdrawn"
    response = applicant_client.post(reverse("applications:application_withdraw", args=[application.pk]), follow=True)
    assert "不能执行此操作" in response.content.decode()
    response = applicant_client.get(reverse("applications:application_resubmit", args=[application.pk]), follow=True)
    assert "只有被退回修改的申请可以重新提交" in response.content.decode()


def test_my_applications_is_paginated_with_bounded_queries(applicant_client, applicant, city, django_assert_max_num_queries):
    orgs = list(Org.objects.in_subtree(city).filter(is_active=True)[:25])
    for org in orgs:
        application_submit(person=applicant, org=org, declaration_accepted=True)
    with django_assert_max_num_queries(10):
        response = applicant_client.get(reverse("applications:application_list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 20
    assert response.context["page"].paginator.count == len(orgs)


def test_a_submit_request_makes_a_bounded_number_of_queries(applicant_client, applicant, jingxing,
                                                           django_assert_max_num_queries):
    # Session, user, console check, org, person with user, consent, membership check, awards for the
    # eligibility snapshot, the handling time limit (one ancestors query), insert, audit row with the previous
    # row's hash (and on PostgreSQL the chain's advisory lock), notice, the webhook endpoints on the org or above
    # it (one query); no org row lock, no page context on success.
    with django_assert_max_num_queries(17):
        response = applicant_client.post(reverse("applications:apply", args=[jingxing.pk]), {"declaration": "on"})
    assert response.status_code == 302
    assert Application.objects.filter(person=applicant, org=jingxing, status="submitted").count() == 1
