"""``UPDATE … RETURNING`` through the ORM: a conditional update that says which rows it changed.

Why: a fenced write (``WHERE lease_token = …``) that must know which rows it
won would otherwise need a ``SELECT … FOR UPDATE`` first, one more round
trip per batch.  PostgreSQL and SQLite (3.35+) both speak ``RETURNING``; the
row locks and the re-check of the condition on a concurrently changed row
are the UPDATE's own.
"""

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models.sql import UpdateQuery


def update_returning(queryset, values, fields=("id",)):
    """Run ``queryset.update(**values)``; returns one tuple of ``fields`` per row it changed."""
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    connection = connections[queryset.db]
    try:
        sql, params = query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # e.g. an empty ``id__in``: nothing to change
        return []
    meta = queryset.model._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {columns}", params)
        return cursor.fetchall()
