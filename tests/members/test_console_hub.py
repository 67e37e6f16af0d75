"""Console hub: lists only organisations in the user's scope."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_hub_lists_only_the_subtree(client, county_a, county_b, admin_a, django_assert_max_num_queries):
    client.force_login(admin_a)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("console_members:home")).content.decode()
    assert county_a.name in page and county_b.name not in page


@pytest.mark.django_db
def test_hub_is_404_for_an_applicant(client, make_applicant):
    client.force_login(make_applicant("孙八").user)
    assert client.get(reverse("console_members:home")).status_code == 404
