"""三员: 系统管理员, 安全管理员 and 审计管理员 — each one role over a subtree, kept apart from each other and from
the organisation administrators."""

import pytest
from django.urls import reverse

from kexie.errors import DomainError, OutOfScope
from orgs import permissions
from orgs.models import AuditEvent, OfficerRole
from orgs.services.accounts import admin_account_set_active, officer_account_create, officer_role_grant
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_a_security_officer_creates_officers_inside_its_subtree_only(security_officer, county_a, other_county):
    account = officer_account_create(
        actor=security_officer, org=county_a, role=OfficerRole.AUDIT, username="audit_a", full_name="审计员",
        password=PASSWORD,
    )
    assert permissions.officer_roles_held(account) == {OfficerRole.AUDIT}
    assert AuditEvent.objects.filter(action="officer_role.grant", object_id=str(account.pk), org=county_a).exists()
    with pytest.raises(OutOfScope):
        officer_account_create(
            actor=security_officer, org=other_county, role=OfficerRole.AUDIT, username="audit_b",
            full_name="审计员", password=PASSWORD,
        )


@pytest.mark.django_db
def test_an_organisation_administrator_cannot_create_officers(city_admin, county_a):
    with pytest.raises(OutOfScope):
        officer_account_create(
            actor=city_admin, org=county_a, role=OfficerRole.SECURITY, username="sec", full_name="安全员",
            password=PASSWORD,
        )


@pytest.mark.django_db
def test_one_account_holds_one_officer_role_and_no_other_grant(security_officer, audit_officer, admin_a, county_a):
    """Separation of duties: an audit officer cannot also be a security officer, an administrator cannot become
    an officer."""
    with pytest.raises(DomainError, match="三员职责分离"):
        officer_role_grant(actor=security_officer, account=audit_officer, org=county_a, role=OfficerRole.SECURITY)
    with pytest.raises(DomainError, match="三员职责分离"):
        officer_role_grant(actor=security_officer, account=admin_a, org=county_a, role=OfficerRole.AUDIT)


@pytest.mark.django_db
def test_a_security_officer_deactivates_accounts_in_its_subtree_only(security_officer, admin_a, make_admin, other_county):
    admin_account_set_active(actor=security_officer, account=admin_a, active=False)
    admin_a.refresh_from_db()
    assert not admin_a.is_active
    with pytest.raises(OutOfScope):
        admin_account_set_active(actor=security_officer, account=make_admin(other_county), active=False)


@pytest.mark.django_db
def test_the_officer_form_offers_only_the_officers_subtree(client, django_user_model, security_officer, city, other_city):
    client.force_login(security_officer)
    body = client.get(reverse("orgs:officer_create")).content.decode()
    assert city.name in body and other_city.name not in body
    response = client.post(reverse("orgs:officer_create"), {
        "role": OfficerRole.SYSTEM, "org": other_city.pk, "username": "sys_x", "full_name": "系统员",
        "password": PASSWORD,
    })
    assert response.status_code == 200 and not django_user_model.objects.filter(username="sys_x").exists()
    assert not AuditEvent.objects.filter(action="officer_account.create").exists()


@pytest.mark.django_db
def test_the_system_officer_closes_an_org_to_applications_and_it_is_audited(client, system_officer, county_a, other_county):
    client.force_login(system_officer)
    page = client.get(reverse("orgs:system_org_list")).content.decode()
    assert county_a.name in page and other_county.name not in page
    response = client.post(reverse("orgs:system_org_accepting", args=[county_a.pk, 0]))
    assert response.status_code == 302
    county_a.refresh_from_db()
    assert not county_a.is_active
    event = AuditEvent.objects.get(action="org.close")
    assert event.actor == system_officer and event.org == county_a
    assert client.post(reverse("orgs:system_org_accepting", args=[other_county.pk, 0])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("officer", "lands_on", "menu", "not_in_menu"),
    [
        ("system_officer", "orgs:system_org_list", "组织架构", "审核"),
        ("security_officer", "orgs:account_list", "账号管理", "会员"),
    ],
)
def test_an_officer_lands_on_its_own_page_and_sees_only_its_menu(client, request, officer, lands_on, menu, not_in_menu):
    client.force_login(request.getfixturevalue(officer))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse(lands_on)
    header = client.get(response.url).content.decode().split("</header>")[0]
    assert menu in header and f">{not_in_menu}<" not in header
