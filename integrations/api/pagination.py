"""Cursor pagination for sync: stable pages over rows ordered by when they last changed."""

from rest_framework.pagination import CursorPagination


class SyncCursorPagination(CursorPagination):
    """Oldest change first, so a client that stores the last ``updated_at`` it saw and asks
    again with ``updated_since`` never misses a row. ``?page_size=`` up to 500."""

    ordering = ("updated_at", "id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
