"""Keyset pages newest first: no OFFSET, no COUNT(*), however many rows the table holds."""

from django.db.models import Q


def keyset_page(queryset, after, size):
    """``(rows, cursor of the next page or None)`` of ``queryset`` by ``-created_at, -pk``.

    ``after`` is the primary key of the last row of the previous page; an
    unknown one starts from the beginning.
    """
    queryset = queryset.order_by("-created_at", "-pk")
    last = queryset.filter(pk=after).values("created_at", "pk").first() if after else None
    if last:
        queryset = queryset.filter(Q(created_at__lt=last["created_at"])
                                   | Q(created_at=last["created_at"], pk__lt=last["pk"]))
    rows = list(queryset[:size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)
