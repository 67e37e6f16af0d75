import pytest

from orgs.models import Org
from orgs.selectors.scope import orgs_below_managed, orgs_managed_by, orgs_visible_to


@pytest.mark.django_db
def test_a_county_admin_sees_its_county_only(admin_a, county_a, county_b):
    visible = set(orgs_visible_to(admin_a))
    assert visible == set(Org.objects.in_subtree(county_a))
    assert county_b not in visible


@pytest.mark.django_db
def test_a_city_admin_sees_its_whole_city_and_nothing_else(city_admin, city, other_city, county_a):
    visible = orgs_visible_to(city_admin)
    assert set(visible) == set(Org.objects.in_subtree(city))
    assert county_a in visible
    assert other_city not in visible
    assert city.parent not in visible


@pytest.mark.django_db
def test_staff_read_the_whole_province_but_manage_nothing(staff):
    assert orgs_visible_to(staff).count() == 253
    assert not orgs_managed_by(staff).exists()


@pytest.mark.django_db
def test_global_permissions_do_not_widen_the_scope(make_user, county_a):
    """accept_global_perms=False: a model-level grant gives no organisations."""
    from django.contrib.auth.models import Permission

    user = make_user()
    user.user_permissions.add(Permission.objects.get(codename="administer_org"))
    assert not orgs_managed_by(user).exists()
    assert not orgs_visible_to(user).exists()


@pytest.mark.django_db
def test_an_inactive_account_sees_nothing(admin_a):
    admin_a.is_active = False
    admin_a.save()
    assert not orgs_visible_to(admin_a).exists()


@pytest.mark.django_db
def test_accounts_can_only_be_created_strictly_below(city_admin, city, county_a):
    below = orgs_below_managed(city_admin)
    assert county_a in below
    assert city not in below
