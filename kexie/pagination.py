"""Pages of long lists read in two steps: the page's ids by the list's full ordering, then those rows whole."""

from django.db.models import QuerySet


class IdsFirst:
    """A queryset as django.core.paginator.Paginator reads it (count() and slices), for lists whose ordering
    PostgreSQL can only satisfy by sorting many rows (a city's tens of thousands of members in tree order).

    The sort then runs over narrow rows (the id and the ordering columns) instead of rows joined to every
    related table; the page's 25 rows with their related objects are a second query by primary key. The rows
    and their order are exactly those of the queryset's own slice.
    """

    ordered = True

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __iter__(self):
        return iter(self.queryset)

    def __getitem__(self, k):
        if not isinstance(k, slice):
            return self.queryset[k]
        ids = list(self.queryset.values_list("pk", flat=True)[k])
        rows = {row.pk: row for row in self.queryset.filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]
