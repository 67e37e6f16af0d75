"""Console pages for organisations and administrator accounts: scoping of lists and forms, audit rows."""

import pytest
from django.urls import reverse

from orgs.models import AuditEvent, Org
from orgs.selectors.accounts import admin_accounts_manageable_by
from orgs.selectors.scope import orgs_managed_by, orgs_visible_to
from tests.conftest import login_via_form


@pytest.mark.django_db
def test_login_page_is_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "登录" in body and 'lang="zh-Hans"' in body


@pytest.mark.django_db
def test_org_tree_lists_only_the_admins_subtree(client, city_admin, city, other_city, django_assert_max_num_queries):
    client.force_login(city_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("approvals:org_tree"))
    body = response.content.decode()
    assert city.name in body
    assert other_city.name not in body
    assert "河北省科学技术协会" not in body
    assert len(response.context["orgs"]) == Org.objects.in_subtree(city).count()


@pytest.mark.django_db
def test_org_tree_query_count_does_not_grow_with_the_tree(client, province_admin, django_assert_max_num_queries):
    client.force_login(province_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("approvals:org_tree"))
    assert len(response.context["orgs"]) == 253


@pytest.mark.django_db
def test_an_applicant_gets_404_on_the_console(client, make_applicant):
    client.force_login(make_applicant().user)
    assert client.get(reverse("approvals:org_tree")).status_code == 404
    assert client.get(reverse("orgs:account_list")).status_code == 404


@pytest.mark.django_db
def test_city_admin_creates_a_county_admin_who_can_log_in(client, city_admin, county_a):
    client.force_login(city_admin)
    response = client.post(
        reverse("orgs:account_create"),
        {"org": county_a.pk, "username": "jx_admin", "full_name": "井陉管理员", "mobile": "138 0013 8001", "password": "Qwe-rty-7788"},
    )
    assert response.status_code == 302
    from django.contrib.auth import get_user_model

    account = get_user_model().objects.get(username="jx_admin")
    assert account.mobile == "13800138001"
    assert list(orgs_managed_by(account)) == list(Org.objects.in_subtree(county_a))
    event = AuditEvent.objects.get(action="admin_account.create")
    assert event.actor == city_admin and event.object_id == str(account.pk) and event.org == county_a
    client.logout()
    assert login_via_form(client, "jx_admin", "Qwe-rty-7788")


@pytest.mark.django_db
def test_creating_an_admin_outside_the_subtree_is_404_and_writes_nothing(client, city_admin, other_county, county_a):
    client.force_login(city_admin)
    response = client.post(
        reverse("orgs:account_create"),
        {"org": other_county.pk, "username": "intruder", "full_name": "x", "password": "Qwe-rty-7788"},
    )
    # The org is not among the form's choices: the form refuses it, nothing is created.
    assert response.status_code == 200
    assert "intruder" not in [u.username for u in admin_accounts_manageable_by(city_admin)]
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="intruder").exists()


@pytest.mark.django_db
def test_a_county_admin_cannot_create_admins_at_all(client, admin_a):
    client.force_login(admin_a)
    # County A has no organisations below it, so there is nobody it could create an account for.
    assert client.get(reverse("orgs:account_create")).status_code == 404
    assert client.get(reverse("orgs:staff_create")).status_code == 404


@pytest.mark.django_db
def test_a_failed_form_keeps_what_was_typed(client, city_admin, county_a):
    client.force_login(city_admin)
    response = client.post(
        reverse("orgs:account_create"),
        {"org": county_a.pk, "username": "keepme", "full_name": "保留姓名", "mobile": "12345", "password": "Qwe-rty-7788"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "保留姓名" in body and "keepme" in body
    assert "有效的中国大陆手机号码" in body


@pytest.mark.django_db
def test_account_list_shows_only_accounts_below(client, city_admin, admin_a, other_city_admin, make_admin, other_county):
    other = make_admin(other_county, "far_admin")
    client.force_login(city_admin)
    body = client.get(reverse("orgs:account_list")).content.decode()
    assert "admin_a" in body
    assert "far_admin" not in body and "other_city_admin" not in body
    assert other.is_active


@pytest.mark.django_db
def test_city_admin_deactivates_a_county_admin_and_it_is_audited(client, city_admin, admin_a):
    client.force_login(city_admin)
    response = client.post(reverse("orgs:account_set_active", args=[admin_a.pk, 0]))
    assert response.status_code == 302
    admin_a.refresh_from_db()
    assert not admin_a.is_active
    assert AuditEvent.objects.filter(action="admin_account.deactivate", object_id=str(admin_a.pk)).count() == 1
    client.logout()
    assert not login_via_form(client, "admin_a")


@pytest.mark.django_db
def test_province_admin_creates_staff_who_read_the_whole_province(client, province_admin):
    client.force_login(province_admin)
    response = client.post(
        reverse("orgs:staff_create"),
        {"department": "society_academic", "username": "xuehui", "full_name": "学会部", "password": "Qwe-rty-7788"},
    )
    assert response.status_code == 302
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.get(username="xuehui")
    assert staff.get_department_display() == "学会学术部"
    assert orgs_visible_to(staff).count() == 253
    assert not orgs_managed_by(staff).exists()


@pytest.mark.django_db
def test_a_city_admin_cannot_create_staff(client, city_admin):
    client.force_login(city_admin)
    response = client.post(
        reverse("orgs:staff_create"),
        {"department": "society_academic", "username": "fake", "full_name": "x", "password": "Qwe-rty-7788"},
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_audit_rows_cannot_be_edited_or_deleted(city_admin, county_a):
    from orgs.services.audit import audit_record

    event = audit_record(actor=city_admin, action="test.action", obj=county_a, org=county_a)
    event.comment = "changed"
    with pytest.raises(AuditEvent.Immutable):
        event.save()
    with pytest.raises(AuditEvent.Immutable):
        event.delete()
    with pytest.raises(AuditEvent.Immutable):
        AuditEvent.objects.filter(pk=event.pk).update(comment="x")
    with pytest.raises(AuditEvent.Immutable):
        AuditEvent.objects.filter(pk=event.pk).delete()
