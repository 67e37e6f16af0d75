"""Pages of long lists read in two steps: the page's ids by index, then those rows whole."""

from typing import Callable

from django.db.models import Count, QuerySet


class PagesByGroup:
    """A queryset ordered by group, then within each group, read page by page without sorting the whole list.

    The member directory is ordered by organisation (its place in the tree), then by member number. A city's
    subtree holds tens of thousands of members, and sorting them all to show 50 cost PostgreSQL more than the
    rest of the page. Here one grouped count gives every group's size in group order. A page then reads, by
    index, only the groups it overlaps: the part of its first group, the groups it holds whole, and the part of
    its last group. These are at most three queries for the ids, then one for the rows. The rows and their order
    are exactly those of the queryset's own slices, provided the queryset is ordered by its groups in the order
    `order_groups` gives them (one place per group), and then by `within`.
    """

    ordered = True

    def __init__(self, queryset: QuerySet, *, group: str, order_groups: Callable[[list], list], within: tuple[str, ...]):
        self.queryset = queryset
        self.group, self.order_groups, self.within = group, order_groups, within
        self._sizes: list[tuple[object, int]] | None = None

    def sizes(self) -> list[tuple[object, int]]:
        """(group, number of rows) for every group that has rows, in the list's order; read once.

        Counted by group alone (a hash of the index's group column) and put in order by `order_groups`: counting
        and sorting by the group's ordering columns made PostgreSQL sort every row first."""
        if self._sizes is None:
            counts = dict(self.queryset.order_by().values_list(self.group).annotate(rows=Count("pk")))
            self._sizes = [(key, counts[key]) for key in self.order_groups(list(counts))] if counts else []
        return self._sizes

    def count(self) -> int:
        return sum(n for _group, n in self.sizes())

    def __iter__(self):
        return iter(self.queryset)

    def _ids(self, keys: list, start: int, stop: int | None) -> list:
        if not keys:
            return []
        if len(keys) == 1:
            rows = self.queryset.filter(**{self.group: keys[0]}).order_by(*self.within)
        else:
            rows = self.queryset.filter(**{f"{self.group}__in": keys})
        return list(rows.values_list("pk", flat=True)[start:stop])

    def __getitem__(self, k):
        if not isinstance(k, slice) or k.step or k.stop is None or (k.start or 0) < 0 or k.stop < 0:
            return self.queryset[k]
        start, stop = k.start or 0, k.stop
        # The groups the slice overlaps, each with where the slice starts and ends inside it.
        parts, offset = [], 0
        for key, n in self.sizes():
            first, offset = offset, offset + n
            if offset > start and first < stop:
                parts.append((key, max(start - first, 0), min(stop, offset) - first, n))
        # Only the first and the last group can be cut: the ones between are read whole, in one query.
        whole = [key for key, lo, hi, n in parts if lo == 0 and hi == n]
        ids = []
        for key, lo, hi, n in parts:
            if lo == 0 and hi == n:
                if key == whole[0]:
                    ids += self._ids(whole, 0, None)
            else:
                ids += self._ids([key], lo, hi)
        # The ids came from the scoped, filtered queryset just now: the rows are read by primary key alone, with
        # the same related objects. Repeating the scope made PostgreSQL walk each organisation's members again.
        page = self.queryset.model._default_manager.filter(pk__in=ids)
        page.query.select_related = self.queryset.query.select_related
        rows = {row.pk: row for row in page}
        return [rows[pk] for pk in ids if pk in rows]
