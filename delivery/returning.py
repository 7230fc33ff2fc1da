"""``UPDATE … RETURNING``: a conditional update that says which rows it changed.

Why: a fenced write (``WHERE lease_token = …``) that must know which rows it
won would otherwise need a ``SELECT … FOR UPDATE`` first, one more round
trip per batch.  PostgreSQL and SQLite (3.35+) both speak ``RETURNING``; the
row locks and the re-check of the condition on a concurrently changed row
are the UPDATE's own.

``update_returning`` takes any queryset.  ``update_where`` takes only
equalities, memberships and increments, and writes its statement without
the ORM's compiler: it runs once or twice per batch a worker sends, where
compiling the queryset cost more CPU than the round trip.
"""

import functools

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models.sql import UpdateQuery

from delivery import sql_names


def update_returning(queryset, values, fields=("id",)):
    """Run ``queryset.update(**values)``; returns one tuple of ``fields`` per row it changed."""
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    connection = connections[queryset.db]
    try:
        sql, params = query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # e.g. an empty ``id__in``: nothing to change
        return []
    columns = ", ".join(sql_names.column(queryset.model, queryset.db, name) for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {columns}", params)
        return cursor.fetchall()


class Increment:
    """A value of ``update_where``: the column plus ``by``."""

    __slots__ = ("by",)

    def __init__(self, by=1):
        self.by = by


def update_where(model, where, values, fields=("id",)):
    """``UPDATE`` the rows of ``model`` that meet every condition of ``where`` to ``values``; returns one
    tuple of ``fields`` per row changed.

    ``where`` maps field names to a value (equal to it; None: IS NULL) or to a
    list, tuple or set (one of them; empty: no row).  ``values`` maps field
    names to new values or to an ``Increment``.  Values are converted by their
    fields as the ORM converts them; the returned ones are as the database
    gives them (no field converters: use it for ids and plain columns).
    """
    if not where:
        raise ValueError("update_where needs a condition: it never changes every row.")
    alias = router.db_for_write(model)
    connection = connections[alias]
    column = functools.partial(_column, model, alias)
    assignments, conditions, params = [], [], []
    for name, value in values.items():
        quoted, prep = column(name)
        if isinstance(value, Increment):
            assignments.append(f"{quoted} = {quoted} + %s")
            params.append(value.by)
        else:
            assignments.append(f"{quoted} = %s")
            params.append(prep(value, connection))
    for name, wanted in where.items():
        quoted, prep = column(name)
        if wanted is None:
            conditions.append(f"{quoted} IS NULL")
        elif isinstance(wanted, list | tuple | set | frozenset):
            if not wanted:
                return []
            conditions.append(f"{quoted} IN ({', '.join(['%s'] * len(wanted))})")
            params.extend(prep(value, connection) for value in wanted)
        else:
            conditions.append(f"{quoted} = %s")
            params.append(prep(wanted, connection))
    returning = ", ".join(column(name)[0] for name in fields)
    sql = (f"UPDATE {sql_names.table(model, alias)} SET {', '.join(assignments)} WHERE {' AND '.join(conditions)} "
           f"RETURNING {returning}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@functools.lru_cache(maxsize=1024)
def _column(model, alias, name):
    """(quoted column, the field's ``get_db_prep_save``) of field ``name``."""
    return sql_names.column(model, alias, name), model._meta.get_field(name).get_db_prep_save
