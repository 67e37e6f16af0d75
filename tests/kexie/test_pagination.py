"""Pages read ids first (kexie.pagination.IdsFirst): the same rows in the same order as the queryset's slices."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kexie.pagination import IdsFirst
from orgs.models import Org


@pytest.mark.django_db
def test_every_page_holds_the_rows_of_the_plain_queryset_in_order(hebei):
    orgs = Org.objects.select_related("parent").order_by("level", "-code", "id")
    plain, ids_first = Paginator(orgs, 25), Paginator(IdsFirst(orgs), 25)
    assert ids_first.count == plain.count == Org.objects.count()
    for number in plain.page_range:
        assert list(ids_first.page(number).object_list) == list(plain.page(number).object_list)


@pytest.mark.django_db
def test_a_page_is_three_queries_and_keeps_the_related_rows(hebei):
    orgs = Org.objects.select_related("parent").filter(parent__isnull=False).order_by("code")
    with CaptureQueriesContext(connection) as captured:
        rows = list(Paginator(IdsFirst(orgs), 25).page(2).object_list)
        parents = [row.parent.name for row in rows]
    assert len(rows) == 25 and all(parents)
    assert len(captured) == 3, "the count, the page's ids, then its rows with their parents"
