"""The permission policy reads a user's grants once per request and hands the selectors literal org ids."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.selectors.workbench import applications_to_review
from orgs import permissions
from orgs.selectors.scope import orgs_administered_have_children, orgs_below_managed, orgs_managed_by


def _grant_reads(captured) -> int:
    return sum("objectpermission" in q["sql"] for q in captured.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["approvals:workbench", "approvals:queue", "orgs:dashboard", "console_members:member_list"])
def test_a_console_page_reads_the_administrators_grants_once(client, city_admin, page):
    """The middleware, the menu and every scoped selector ask; the grant tables are read once."""
    client.force_login(city_admin)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(page))
    assert response.status_code == 200
    assert _grant_reads(captured) == 1


@pytest.mark.django_db
def test_a_grant_or_revoke_through_the_policy_is_seen_at_once_by_the_same_user_object(make_user, county_a, county_b):
    user = make_user()
    assert not permissions.holds_any_grant(user, manage=True)
    permissions.grant_administer(user, county_a)
    assert list(orgs_managed_by(user)) == [county_a]
    permissions.grant_administer(user, county_b)
    assert set(orgs_managed_by(user)) == {county_a, county_b}
    permissions.revoke_administer(user, county_a)
    assert list(orgs_managed_by(user)) == [county_b]


@pytest.mark.django_db
def test_scoped_lists_name_the_orgs_instead_of_joining_the_grant_tables(city_admin, city):
    """Behind the permission joins PostgreSQL could not estimate the orgs and scanned whole tables (5 s for a
    city's workbench at a million applications); with the ids it uses the queue index."""
    permissions.holds_any_grant(city_admin, manage=True)
    sql = str(applications_to_review(city_admin).query)
    assert "objectpermission" not in sql
    assert str(city.pk) in sql


@pytest.mark.django_db
def test_the_menus_check_for_orgs_below_agrees_with_the_subtree(city_admin, admin_a, province_admin):
    for user in (city_admin, admin_a, province_admin):
        assert orgs_administered_have_children(user) == orgs_below_managed(user).exists()
    assert orgs_administered_have_children(city_admin) and not orgs_administered_have_children(admin_a)


def test_whether_an_admin_has_orgs_below_comes_from_the_one_read_of_the_grants(
    django_user_model, admin_a, city_admin, province_admin, staff, make_user
):
    """The menu asks on every console page; the answer equals orgs_below_managed(user).exists() and costs no
    query beyond the request's read of the grants."""
    for user in (admin_a, city_admin, province_admin, staff, make_user("nobody")):
        fresh = django_user_model.objects.get(pk=user.pk)
        with CaptureQueriesContext(connection) as queries:
            answer = orgs_administered_have_children(fresh)
        assert answer == orgs_below_managed(user).exists(), user.username
        assert len(queries.captured_queries) == 1, user.username
        with CaptureQueriesContext(connection) as again:
            assert orgs_administered_have_children(fresh) == answer
        assert not again.captured_queries
    assert orgs_administered_have_children(city_admin) and not orgs_administered_have_children(staff)


def test_scopes_are_built_from_the_grant_read_without_reading_the_granted_orgs_again(
    django_user_model, city_admin, city, staff
):
    from orgs.models import Org
    from orgs.selectors.scope import orgs_visible_to

    fresh = django_user_model.objects.get(pk=city_admin.pk)
    with CaptureQueriesContext(connection) as queries:
        managed = set(orgs_managed_by(fresh).values_list("pk", flat=True))
        visible = set(orgs_visible_to(fresh).values_list("pk", flat=True))
    assert len(queries.captured_queries) == 3  # the grants, then each scope's own query
    assert managed == visible == set(Org.objects.get(pk=city.pk).get_descendants(include_self=True).values_list("pk", flat=True))
    assert set(orgs_visible_to(staff).values_list("pk", flat=True)) == set(Org.objects.values_list("pk", flat=True))
    assert not orgs_managed_by(staff).exists()


def test_a_new_grant_is_seen_by_the_same_user_object(make_user, county_a, city):
    user = make_user()
    assert not orgs_administered_have_children(user)
    permissions.grant_administer(user, city)
    assert orgs_administered_have_children(user)
