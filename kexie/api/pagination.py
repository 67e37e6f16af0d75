"""Cursor pagination for every API list: stable under inserts, constant cost per page."""

from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"
    cursor_query_description = "分页游标：取上一页响应中的 next 或 previous 链接"
    page_size_query_description = "每页条数（最多 100）"
    ordering = ("-id",)


def cursor_ordered_by(*fields: str) -> type[Cursor]:
    """A cursor class ordered like the console list it mirrors (first field positions the cursor)."""
    return type(f"CursorBy{'_'.join(f.strip('-') for f in fields)}", (Cursor,), {"ordering": fields})
