from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """The contract's list shape: `results`, `next`, `previous` — stable under concurrent writes.

    Cursor pages cost the same at any depth and never skip or repeat a row when rows are added
    while a client pages through, which offset pagination cannot promise.
    """

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 200
