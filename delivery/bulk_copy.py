"""Many rows of one model streamed into its table with ``COPY``, while the caller is still making them.

``copy_rows(Event, ["id", "body", ...], rows)`` takes the rows as any
iterable, a generator too, and writes them as ``insert_rows`` would
(``delivery.bulk_insert``: the same conversions, the same defaults for the
fields not named), in the caller's transaction.  It has no ``ON CONFLICT``
and no ``RETURNING``; elsewhere than on PostgreSQL it is ``insert_rows``.

On PostgreSQL the statement is ``COPY … FROM STDIN``, which costs the server
less per row than an ``INSERT``.  Where every column is text, a number, a
moment or a boolean, the rows go as COPY's text lines, made here: the server
writes each 64 kB of them as it comes, so its work overlaps the caller's.
(A binary COPY, used for the other columns, is buffered by the server until
1,000 rows or the end.)
"""

import functools
from datetime import datetime

from django.db import connections, router
from django.db.models import BigIntegerField, BooleanField, DateTimeField, ForeignKey, IntegerField

from delivery import bulk_insert

_TEXT_KINDS = (IntegerField, BigIntegerField, BooleanField, DateTimeField)
_NULL = "\\N"
_LINES_PER_WRITE = 64  # joined into one write: one call into psycopg per ~50 kB of our outbox rows
_NOTHING = object()


def copy_rows(model, fields, rows, *, using=None):
    """Write ``rows`` (any iterable, read once) of ``model``, one value per name of ``fields``; returns how
    many were written.  An exception raised while ``rows`` is read ends the statement, and the caller's
    transaction decides what stays."""
    alias = using or router.db_for_write(model)
    plan = bulk_insert.insert_plan(model, tuple(fields), False, (), alias)
    connection = connections[alias]
    as_text = plan.sql is not None and _all_text(plan)  # plan.sql None: not PostgreSQL, or an array column
    types = None if plan.sql is None or as_text else _binary_types(connection, plan)
    if not as_text and types is None:
        rows = list(rows)
        bulk_insert.insert_rows(model, fields, rows, using=alias)
        return len(rows)
    with bulk_insert.server_binding_cursor(connection) as cursor, connection.wrap_database_errors:
        with cursor.copy(_statement(model, plan, alias, as_text)) as copy:
            if as_text:
                return _write_lines(copy, map(_line_maker(connection, plan), rows))
            copy.set_types(types)
            convert, written = _row_converter(connection, plan), 0
            for row in rows:
                copy.write_row(convert(row))
                written += 1
            return written


def _all_text(plan):
    """Whether every column's values can be written as text lines here (else a binary COPY)."""
    return all(as_is or isinstance(_stored_as(field), _TEXT_KINDS) for field, as_is in zip(plan.fields, plan.as_is))


def _stored_as(field):
    return field.target_field if isinstance(field, ForeignKey) else field


@functools.lru_cache(maxsize=64)
def _statement(model, plan, alias, as_text):
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(field.column) for field in plan.fields)
    return f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN" + ("" if as_text else " (FORMAT BINARY)")


def _binary_types(connection, plan):
    """The column types a binary COPY is told (``varchar``, ``timestamp with time zone``), or None if
    psycopg does not know one of them."""
    from psycopg.postgres import types  # only with PostgreSQL: a host on SQLite installs no driver for it

    names = [bulk_insert.TYPE_MODIFIER.sub("", field.db_type(connection)) for field in plan.fields]
    return names if all(types.get(name) is not None for name in names) else None


def _write_lines(copy, lines_of_rows):
    lines, written = [], 0
    for line in lines_of_rows:
        lines.append(line)
        if len(lines) == _LINES_PER_WRITE:
            copy.write("\n".join(lines) + "\n")
            written += len(lines)
            lines = []
    if lines:
        copy.write("\n".join(lines) + "\n")
    return written + len(lines)


def _line_maker(connection, plan):
    """A function from a row to its COPY text line (defaults of omitted fields added).

    A column that holds the very same object as on the row before (the
    call's moment, its tenant) is not converted again.
    """
    preps = [None if as_is else field.get_db_prep_save for field, as_is in zip(plan.fields, plan.as_is)]
    seen, texts = [_NOTHING] * len(preps), [""] * len(preps)

    def line(row):
        if plan.defaults:
            row = (*row, *(field.get_default() for field in plan.defaults))
        out = []
        for position, value in enumerate(row):
            if value is not seen[position]:
                prep = preps[position]
                stored = value if prep is None or value is None or type(value) is str else prep(value, connection)
                seen[position], texts[position] = value, _text(stored)
            out.append(texts[position])
        return "\t".join(out)

    return line


def _text(value):
    """One value as COPY's text format writes it: backslash, newline, carriage return and tab escaped."""
    if value is None:
        return _NULL
    kind = type(value)
    if kind is str:
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if kind is int:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime:
        return value.isoformat()
    return _text(str(value))


def _row_converter(connection, plan):
    """A function from a row to its database values (defaults of omitted fields added), for a binary COPY.

    A column that holds the very same object as on the row before is not converted again.
    """
    preps = [None if as_is else field.get_db_prep_save for field, as_is in zip(plan.fields, plan.as_is)]
    last = [(_NOTHING, None)] * len(preps)

    def convert(row):
        if plan.defaults:
            row = (*row, *(field.get_default() for field in plan.defaults))
        values = []
        for position, (value, prep) in enumerate(zip(row, preps)):
            if prep is not None and not (value is None or type(value) is str):
                seen, converted = last[position]
                if value is not seen:
                    converted = prep(value, connection)
                    last[position] = (value, converted)
                value = converted
            values.append(value)
        return values

    return convert
