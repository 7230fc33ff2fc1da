"""Many rows of one model in one INSERT, without building model instances.

``insert_rows(Event, ["id", "body", ...], rows)`` writes the rows (tuples of
Python values in the fields' order, as one would pass to the model) through
the model's database connection, so it runs in the caller's transaction
(``transaction.atomic()`` included) and a rollback undoes it.  Each value is
converted by its field's ``get_db_prep_save``, so JSON, datetimes and UUIDs
are stored as the ORM would store them; a ForeignKey's value is the related
primary key.  A field not named gets its model default for each row (as
``Model()`` would give it), except an auto primary key and a field with a
``db_default``, which the database fills.  ``pre_save`` (e.g. ``auto_now``)
and signals are not run: the caller gives those values.

On PostgreSQL the statement is ``INSERT … SELECT * FROM unnest($1::type[], …)``
on a cursor that binds on the server, the columns sent as binary arrays: one
statement whose size does not depend on the number of rows, and no quoting
of the values in Python (Django's own cursors bind on the client).  Other
databases get the same rows through ``bulk_create``.

``delivery.bulk_copy`` streams rows with ``COPY`` instead.
"""

import functools
import re

from django.db import connections, router
from django.db.models import CharField, Field, TextField
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault

TYPE_MODIFIER = re.compile(r"\([^)]*\)")
_NOTHING = object()


def insert_rows(model, fields, rows, *, ignore_conflicts=False, returning=(), using=None):
    """Insert ``rows`` of ``model`` (one value per name of ``fields``); returns the ``returning`` columns.

    ``ignore_conflicts``: a row that would break a unique constraint is left
    out (``ON CONFLICT DO NOTHING``) instead of failing the statement.
    ``returning``: field names; the result holds one tuple of their stored
    values per row written (left-out rows have none), in the order of
    ``rows`` when the primary key is among ``fields`` and ``returning``
    (otherwise in the order the database answers, on PostgreSQL the same in
    practice).  Without ``returning`` the result is ``[]``.  Elsewhere than
    on PostgreSQL, ``returning`` with ``ignore_conflicts`` needs the primary
    key among ``fields``.
    """
    rows = list(rows)
    if not rows:
        return []
    alias = using or router.db_for_write(model)
    plan = insert_plan(model, tuple(fields), ignore_conflicts, tuple(returning), alias)
    if plan.defaults:
        rows = [(*row, *(field.get_default() for field in plan.defaults)) for row in rows]
    connection = connections[alias]
    if plan.sql is None:
        return _bulk_create(connection, model, plan.fields, rows, ignore_conflicts, plan.returning)
    return _insert_unnest(connection, plan, rows)


def insert_instances(objs, *, using=None):
    """Save new, unsaved instances of one model in one INSERT and set their primary keys: what
    ``bulk_create`` does, for the hot paths that build instances anyway (the fan-out's deliveries, the
    attempt log), without its compiling and quoting of each value.  Every concrete field is written
    as the instance holds it (no ``pre_save``, no signals, as with ``bulk_create``)."""
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    alias = using or router.db_for_write(model)
    names = _instance_fields(model)
    rows = [tuple(getattr(obj, name) for name in names) for obj in objs]
    if connections[alias].vendor != "postgresql" or any(isinstance(v, DatabaseDefault) for v in rows[0]):
        model._base_manager.using(alias).bulk_create(objs, batch_size=1000)
        return objs
    if meta.auto_field:
        keys = insert_rows(model, names, rows, returning=(meta.auto_field.attname,), using=alias)
        for obj, (key,) in zip(objs, keys, strict=True):
            obj.pk = key
    else:
        insert_rows(model, names, rows, using=alias)
    for obj in objs:
        obj._state.adding, obj._state.db = False, alias
    return objs


class Blank:
    """New unsaved instances of ``model`` as ``model(**values)`` makes them, for the hot paths that make
    one per delivery or attempt: ``Blank.of(Delivery).new(event_id=…, related={"event": event})``.

    ``model()`` runs each field's descriptor and default for every instance;
    here a blank instance's values are copied and only the given ones set.
    A callable default (``timezone.now``, ``dict``) is still called for each
    instance that is not given that value.  ``values`` are attribute names (``event_id``, not ``event``);
    ``related`` fills the instance's cache of related objects, as passing
    ``event=event`` to the model would.  Django's ``pre_init`` and
    ``post_init`` signals are not sent for them (no hook of ours listens).
    """

    def __init__(self, model):
        self.model = model
        fields = model._meta.concrete_fields
        self.fresh = [(field.attname, field.get_default) for field in fields if callable(field.default)]
        self.values = {name: value for name, value in vars(model()).items() if name != "_state"}

    @classmethod
    @functools.cache
    def of(cls, model):
        return cls(model)

    def new(self, related=None, **values):
        return self._made(values, related)

    def stored(self, using, related=None, **values):
        """As ``new``, for a row just written to database ``using``: the instance ``from_db`` would read back."""
        obj = self._made(values, related)
        obj._state.adding, obj._state.db = False, using
        return obj

    def _made(self, values, related):
        obj = self.model.__new__(self.model)
        attributes = obj.__dict__
        attributes.update(self.values)
        for name, default in self.fresh:
            if name not in values:
                attributes[name] = default()
        attributes.update(values)
        obj._state = ModelState()
        if related:
            obj._state.fields_cache = dict(related)
        return obj


@functools.cache
def _instance_fields(model):
    """The attribute names of the concrete fields an INSERT of ``model`` writes: all but an auto primary key."""
    meta = model._meta
    return tuple(field.attname for field in meta.concrete_fields if field is not meta.auto_field)


class _Plan:
    """What an INSERT of some fields of a model needs that does not depend on its rows, worked out once:
    the fields (those omitted, with a model default, at the end), the statement (None: ``bulk_create``),
    how each column's values are converted, and where the primary key is among the fields and ``returning``."""

    __slots__ = ("fields", "defaults", "returning", "sql", "as_is", "pk_given", "pk_back")


@functools.lru_cache(maxsize=256)
def insert_plan(model, names, ignore_conflicts, returning, alias):
    connection = connections[alias]
    meta = model._meta
    plan = _Plan()
    given = [meta.get_field(name) for name in names]
    plan.defaults = [field for field in meta.concrete_fields
                     if field not in given and field is not meta.auto_field and not field.has_db_default()]
    plan.fields = given + plan.defaults
    plan.returning = [meta.get_field(name) for name in returning]
    plan.as_is = [_stores_str_as_is(field) for field in plan.fields]
    plan.pk_given = plan.fields.index(meta.pk) if meta.pk in plan.fields else None
    plan.pk_back = plan.returning.index(meta.pk) if meta.pk in plan.returning else None
    plan.sql = None
    if connection.vendor == "postgresql" and not any(_is_array(connection, field) for field in plan.fields):
        plan.sql = _unnest_sql(connection, model, plan.fields, ignore_conflicts, plan.returning)
    return plan


def _unnest_sql(connection, model, fields, ignore_conflicts, returning):
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%b::{_array_type(connection, field)}" for field in fields)
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"SELECT * FROM unnest({arrays})")
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(quote(f.column) for f in returning)}"
    return sql


def _columns(connection, plan, rows):
    """The rows turned into one list per field of database values."""
    columns = []
    for position, (field, as_is) in enumerate(zip(plan.fields, plan.as_is)):
        values = [row[position] for row in rows]
        if as_is:  # most columns: skip four calls per value that would return it unchanged
            columns.append([v if v is None or type(v) is str else field.get_db_prep_save(v, connection)
                            for v in values])
        else:
            columns.append(_converted(field, values, connection))
    return columns


def _converted(field, values, connection):
    """Each value through the field's ``get_db_prep_save``; a run of the very same object converted once."""
    prep, converted, last, last_converted = field.get_db_prep_save, [], _NOTHING, None
    for value in values:
        if value is not last:
            last, last_converted = value, prep(value, connection)
        converted.append(last_converted)
    return converted


def _stores_str_as_is(field):
    """Whether ``field`` is a CharField or TextField whose conversion of a ``str`` or None is Django's (none)."""
    kind = type(field)
    for base in (CharField, TextField):
        if (isinstance(field, base) and kind.get_db_prep_save is Field.get_db_prep_save
                and kind.get_db_prep_value is Field.get_db_prep_value
                and kind.get_prep_value is base.get_prep_value and kind.to_python is base.to_python):
            return True
    return False


def _is_array(connection, field):
    """An array column (``ArrayField``): ``unnest`` would flatten it, so such a model goes through ``bulk_create``."""
    return (field.db_type(connection) or "").endswith("]")


def _array_type(connection, field):
    """``varchar[]`` for ``varchar(40)``: no length in the cast, so the column itself refuses a long value."""
    return TYPE_MODIFIER.sub("", field.db_type(connection)) + "[]"


def _insert_unnest(connection, plan, rows):
    params = _columns(connection, plan, rows)
    with server_binding_cursor(connection) as cursor:
        cursor.execute(plan.sql, params)
        if not plan.returning:
            return []
        stored = cursor.fetchall()
    return _in_given_order(plan, rows, stored, connection)


def server_binding_cursor(connection):
    """A cursor of Django's connection (same transaction, query log, error wrapping) that binds on the server."""
    import psycopg  # only with PostgreSQL: a host on SQLite installs no driver for it (the ``postgres`` extra)

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = psycopg.Cursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def _in_given_order(plan, rows, stored, connection):
    """The RETURNING rows in the order of ``rows``: PostgreSQL does not promise the order for ``INSERT … SELECT``.

    Ordered by the primary key when the caller inserted it and asks for it
    back; otherwise in the order the server answered.
    """
    returning = plan.returning
    if plan.pk_given is None or plan.pk_back is None:
        return [tuple(_from_db(field, value, connection) for field, value in zip(returning, row)) for row in stored]
    given, back = plan.pk_given, plan.pk_back
    prep = plan.fields[given].get_db_prep_save
    by_pk = {row[back]: row for row in stored}
    ordered = []
    for row in rows:
        found = by_pk.get(prep(row[given], connection))
        if found is not None:
            ordered.append(tuple(_from_db(field, value, connection) for field, value in zip(returning, found)))
    return ordered


def _from_db(field, value, connection):
    for converter in field.get_db_converters(connection):
        value = converter(value, None, connection)
    return value


def _bulk_create(connection, model, fields, rows, ignore_conflicts, returning):
    """Other databases: the same rows through ``bulk_create`` (instances built, values quoted by the driver)."""
    names = [field.attname for field in fields]
    objs = [model(**dict(zip(names, row))) for row in rows]
    if ignore_conflicts and returning:
        return _bulk_create_ignoring(connection, model, fields, objs, returning)
    model._base_manager.using(connection.alias).bulk_create(objs, ignore_conflicts=ignore_conflicts)
    if not returning:
        return []
    return [tuple(getattr(obj, field.attname) for field in returning) for obj in objs]


def _bulk_create_ignoring(connection, model, fields, objs, returning):
    """``bulk_create`` sets no primary keys when it ignores conflicts: read back the rows whose key is ours."""
    pk = model._meta.pk
    if pk not in fields:
        raise ValueError("returning with ignore_conflicts needs the primary key among the fields on this database.")
    manager = model._base_manager.using(connection.alias)
    before = set(manager.filter(pk__in=[obj.pk for obj in objs]).values_list("pk", flat=True))
    manager.bulk_create(objs, ignore_conflicts=True)
    written = {row[0]: row[1:] for row in manager.filter(pk__in=[obj.pk for obj in objs]).exclude(
        pk__in=before).values_list("pk", *[field.attname for field in returning])}
    return [tuple(written[obj.pk]) for obj in objs if obj.pk in written]
