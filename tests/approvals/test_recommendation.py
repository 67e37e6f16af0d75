"""Recommending upward from the console: county → city → province, with who, when and why recorded."""

import pytest
from django.urls import reverse

from approvals import services
from approvals.models import Application, Recommendation
from members.models import Membership
from orgs.models import AuditEvent


@pytest.mark.django_db
def test_members_list_is_scoped_searchable_and_offers_recommendation(client, admin_a, admin_b, county_a, county_b, submit, django_assert_max_num_queries):
    memberships = {}
    for name, org, reviewer in (("本县会员", county_a, admin_a), ("邻县会员", county_b, admin_b)):
        memberships[name] = services.application_approve(application=submit(org, name), reviewer=reviewer)
    client.force_login(admin_a)
    client.get(reverse("console_members:member_list"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("console_members:member_list"))
    body = response.content.decode()
    assert "本县会员" in body and "邻县会员" not in body
    assert reverse("console_members:member_detail", args=[memberships["本县会员"].pk]) in body
    assert client.get(reverse("console_members:member_list"), {"q": "不存在"}).context["page"].paginator.count == 0
    assert client.get(reverse("console_members:member_list"), {"org": county_b.pk}).status_code == 404
    # Recommending upward is one of the per-member actions on the detail page.
    detail = client.get(reverse("console_members:member_detail", args=[memberships["本县会员"].pk])).content.decode()
    assert "推荐到上级" in detail and reverse("approvals:member_recommend", args=[memberships["本县会员"].pk]) in detail


@pytest.mark.django_db
def test_two_hops_county_to_city_to_province(client, admin_a, city_admin, province_admin, county_a, city, province, submit):
    application = submit(county_a, "两跳者")
    county_membership = services.application_approve(application=application, reviewer=admin_a)

    client.force_login(admin_a)
    url = reverse("approvals:member_recommend", args=[county_membership.pk])
    assert city.name in client.get(url).content.decode()
    response = client.post(url, {"opinion": "   "})
    assert "请填写推荐意见" in response.content.decode()
    client.post(url, {"opinion": "县内科普带头人，推荐市科协"})
    recommendation = Recommendation.objects.get(person=application.person, to_org=city)
    assert recommendation.from_org == county_a and recommendation.recommended_by == admin_a
    city_application = Application.objects.get(recommendation=recommendation)
    assert city_application.org == city and city_application.status == "submitted"

    client.force_login(city_admin)
    detail = client.get(reverse("approvals:detail", args=[city_application.pk])).content.decode()
    assert "县内科普带头人，推荐市科协" in detail and county_a.name in detail
    client.post(reverse("approvals:decide", args=[city_application.pk]), {"decision": "approve"})
    city_membership = Membership.objects.get(person=application.person, org=city)
    assert city_membership.number.startswith("C") and city_membership.application.recommendation == recommendation

    client.post(reverse("approvals:member_recommend", args=[city_membership.pk]), {"opinion": "市级优秀，推荐省科协"})
    province_application = Application.objects.get(org=province, person=application.person)
    client.force_login(province_admin)
    client.post(reverse("approvals:decide", args=[province_application.pk]), {"decision": "approve"})
    assert set(Membership.objects.filter(person=application.person).values_list("level", flat=True)) == {
        "county", "city", "province"
    }
    # Counting inputs for the progress pages: made by the county and the city, each accepted once.
    assert Recommendation.objects.filter(from_org=county_a, application__status="approved").count() == 1
    assert Recommendation.objects.filter(from_org=city, application__status="approved").count() == 1
    assert AuditEvent.objects.filter(action="recommendation.create").count() == 4


@pytest.mark.django_db
def test_recommend_an_open_application_from_the_detail_page(client, admin_a, city, county_a, submit):
    application = submit(county_a, "在审推荐")
    client.force_login(admin_a)
    response = client.post(
        reverse("approvals:recommend_application", args=[application.pk]), {"opinion": "表现突出"}, follow=True
    )
    assert any("已将 在审推荐 推荐至" in str(m) for m in response.context["messages"])
    assert Application.objects.get(org=city, person=application.person).recommendation.source_application == application


@pytest.mark.django_db
def test_recommending_twice_shows_a_domain_error_not_a_500(client, admin_a, county_a, submit):
    application = submit(county_a, "重复推荐")
    client.force_login(admin_a)
    url = reverse("approvals:recommend_application", args=[application.pk])
    client.post(url, {"opinion": "第一次"})
    response = client.post(url, {"opinion": "第二次"})
    assert response.status_code == 200 and "已有正在审核的申请" in response.content.decode()
    assert Recommendation.objects.count() == 1


@pytest.mark.django_db
def test_staff_cannot_recommend(client, staff, admin_a, county_a, submit):
    membership = services.application_approve(application=submit(county_a, "员工无权"), reviewer=admin_a)
    client.force_login(staff)
    assert client.get(reverse("approvals:member_recommend", args=[membership.pk])).status_code == 404
    assert "员工无权" in client.get(reverse("console_members:member_list"), {"subtree": "on"}).content.decode()
    detail = client.get(reverse("console_members:member_detail", args=[membership.pk])).content.decode()
    assert "员工无权" in detail and "推荐到上级" not in detail
