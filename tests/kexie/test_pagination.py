"""Pages read group by group (kexie.pagination.PagesByGroup), as the member directory reads them: the same rows in
the same order as the queryset's own slices, from at most three id queries a page."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Membership
from members.selectors.directory import directory_pages, member_directory
from orgs.models import Org


@pytest.fixture
def spread(city, county_a, county_b, city_admin, make_members):
    """Members in four organisations of one city, in sizes that put page edges inside and between them; two
    without a number (sorted last in their organisation, as the plain ordering sorts NULL)."""
    town = Org.objects.filter(parent=city).exclude(pk__in=[county_a.pk, county_b.pk]).order_by("code")[0]
    for org, n in ((city, 7), (county_a, 31), (county_b, 3), (town, 12)):
        make_members(org, n)
    Membership.objects.filter(pk__in=Membership.objects.filter(org=county_a).order_by("id").values("pk")[:2]).update(
        number=None
    )
    return member_directory(city_admin, org=city, include_subtree=True)


@pytest.mark.django_db
@pytest.mark.parametrize("per_page", [1, 5, 7, 10, 25, 50])
def test_every_page_holds_the_rows_of_the_plain_queryset_in_order(spread, per_page):
    plain, by_group = Paginator(spread, per_page), Paginator(directory_pages(spread), per_page)
    assert by_group.count == plain.count == 53
    assert by_group.num_pages == plain.num_pages
    for number in plain.page_range:
        assert list(by_group.page(number).object_list) == list(plain.page(number).object_list), number


@pytest.mark.django_db
def test_a_filtered_list_pages_the_same_as_its_queryset(spread, city_admin, city):
    searched = member_directory(city_admin, org=city, include_subtree=True, search="成员")
    lapsed_none = member_directory(city_admin, org=city, include_subtree=True, status=Membership.Status.LAPSED)
    for queryset in (searched, lapsed_none):
        plain, by_group = Paginator(queryset, 10), Paginator(directory_pages(queryset), 10)
        assert by_group.count == plain.count
        for number in plain.page_range:
            assert list(by_group.page(number).object_list) == list(plain.page(number).object_list)


@pytest.mark.django_db
def test_a_page_reads_at_most_three_id_queries_and_keeps_the_related_rows(spread):
    pages = Paginator(directory_pages(spread), 25)
    pages.count  # the count by organisation and their tree order, read once for every page
    for number, most in ((1, 4), (2, 4), (3, 2)):
        with CaptureQueriesContext(connection) as captured:
            rows = list(pages.page(number).object_list)
            names = [(row.person.name, row.org.name) for row in rows]
        assert rows and all(a and b for a, b in names)
        assert len(captured) <= most, [q["sql"] for q in captured.captured_queries]
    # Page 2 (rows 26-50) starts inside the second organisation, holds the third whole and ends in the fourth.
    with CaptureQueriesContext(connection) as captured:
        list(Paginator(directory_pages(spread), 25).page(2).object_list)
    assert len(captured) == 6, (
        "the count by organisation, their tree order, the cut first group, the whole one, the cut last one, the rows"
    )
