from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Pages of rows in id order, each with the address of the next (``next``) and the one
    before: a report that follows ``next`` reads every row once, even while rows are added."""

    ordering = "pk"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
