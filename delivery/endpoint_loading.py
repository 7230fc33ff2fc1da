"""A fan-out's endpoints, their send state and signing secrets, read by statements written once.

Every fan-out reads the enabled endpoints of its events' tenants, each with
its state row, and the secrets of those it sends to at once (a batch loaded
for sending, ``states.held_rows``, and a page of a polling endpoint,
``polling``, read their secrets here too).  Through the
ORM both queries were compiled again in every fan-out, which cost several
times the round trips; and under load across many worker nodes fan-outs are
many and small, so that fixed cost is paid often.  The rows come back as the
ORM would give them: the same field converters, the state row cached on
``endpoint.send_state`` (none: no row), the secrets where
``endpoint.secrets.all()`` finds them, newest first.
"""

import functools

from django.db import connections, router
from django.db.models import QuerySet

from delivery import sql_names
from delivery.models import EndpointState
from subscriptions.models import Endpoint, EndpointSecret

ENDPOINT_ALIAS, STATE_ALIAS, SECRET_ALIAS = "e", "s", "k"  # the tables' names in the statements


def enabled_endpoints(tenant_ids):
    """The enabled endpoints of ``tenant_ids``, newest first (as ``Endpoint``'s ordering), each with its state."""
    tenant_ids = list(tenant_ids)
    if not tenant_ids:
        return []
    alias = router.db_for_read(Endpoint)
    connection = connections[alias]
    sql, endpoint_reader, state_reader = _endpoints_statement(alias, len(tenant_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*tenant_ids, False])
        rows = cursor.fetchall()
    endpoints = []
    for row in rows:
        endpoint = endpoint_reader.instance(row, connection)
        state = state_reader.instance(row, connection) if row[state_reader.start] is not None else None
        _SEND_STATE.set_cached_value(endpoint, state)
        if state is not None:
            _STATE_ENDPOINT.set_cached_value(state, endpoint)
        endpoints.append(endpoint)
    return endpoints


def attach_secrets(endpoints):
    """Read the secrets of ``endpoints`` in one statement and keep them where ``endpoint.secrets.all()`` looks."""
    endpoints = [e for e in endpoints if _SECRETS not in getattr(e, "_prefetched_objects_cache", {})]
    if not endpoints:
        return
    alias = router.db_for_read(EndpointSecret)
    connection = connections[alias]
    by_endpoint = {endpoint.pk: [] for endpoint in endpoints}  # rows of one endpoint may each have its copy
    sql, reader = _secrets_statement(alias, len(by_endpoint))
    with connection.cursor() as cursor:
        cursor.execute(sql, list(by_endpoint))
        rows = cursor.fetchall()
    for row in rows:
        secret = reader.instance(row, connection)
        by_endpoint[secret.endpoint_id].append(secret)
    for endpoint in endpoints:
        secrets = by_endpoint[endpoint.pk]
        for secret in secrets:
            _SECRET_ENDPOINT.set_cached_value(secret, endpoint)
        endpoint.__dict__.setdefault("_prefetched_objects_cache", {})[_SECRETS] = _loaded(secrets)


def _loaded(secrets):
    """A queryset that holds ``secrets`` already, as a prefetch leaves it: iterating it runs no query."""
    queryset = QuerySet(model=EndpointSecret, using=secrets[0]._state.db if secrets else None)
    queryset._result_cache, queryset._prefetch_done = secrets, True
    return queryset


_SEND_STATE = Endpoint.send_state.related  # the reverse one-to-one: its cache on the endpoint
_STATE_ENDPOINT = EndpointState._meta.get_field("endpoint")
_SECRET_ENDPOINT = EndpointSecret._meta.get_field("endpoint")
_SECRETS = Endpoint.secrets.rel.cache_name


class _Reader:
    """Turns the columns of ``model``'s concrete fields in a row, from ``start``, into an instance, as the
    ORM's compiler would: the backend's and the field's converters, then ``Model.from_db``."""

    def __init__(self, model, table_alias, alias, start):
        connection = connections[alias]
        self.model, self.alias, self.start = model, alias, start
        self.fields = model._meta.concrete_fields
        self.names = [field.attname for field in self.fields]
        self.columns = [_qualified(model, table_alias, alias, field.name) for field in self.fields]
        self.converters = []
        for position, field in enumerate(self.fields):
            column = field.get_col(table_alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self.converters.append((position, column, found))

    def instance(self, row, connection):
        values = list(row[self.start:self.start + len(self.fields)])
        for position, column, converters in self.converters:
            value = values[position]
            for converter in converters:
                value = converter(value, column, connection)
            values[position] = value
        return self.model.from_db(self.alias, self.names, values)


@functools.lru_cache(maxsize=64)
def _endpoints_statement(alias, tenants):
    endpoint_reader = _Reader(Endpoint, ENDPOINT_ALIAS, alias, 0)
    state_reader = _Reader(EndpointState, STATE_ALIAS, alias, len(endpoint_reader.fields))

    def column(model, table_alias, name):
        return _qualified(model, table_alias, alias, name)

    sql = (
        f"SELECT {', '.join(endpoint_reader.columns + state_reader.columns)} "
        f"FROM {sql_names.table(Endpoint, alias)} {ENDPOINT_ALIAS} "
        f"LEFT OUTER JOIN {sql_names.table(EndpointState, alias)} {STATE_ALIAS} "
        f"ON {column(EndpointState, STATE_ALIAS, 'endpoint')} = {column(Endpoint, ENDPOINT_ALIAS, 'id')} "
        f"WHERE {column(Endpoint, ENDPOINT_ALIAS, 'tenant')} IN ({', '.join(['%s'] * tenants)}) "
        f"AND {column(Endpoint, ENDPOINT_ALIAS, 'disabled')} = %s "
        f"ORDER BY {_ordering(Endpoint, ENDPOINT_ALIAS, alias)}"
    )
    return sql, endpoint_reader, state_reader


@functools.lru_cache(maxsize=64)
def _secrets_statement(alias, endpoints):
    reader = _Reader(EndpointSecret, SECRET_ALIAS, alias, 0)
    sql = (
        f"SELECT {', '.join(reader.columns)} FROM {sql_names.table(EndpointSecret, alias)} {SECRET_ALIAS} "
        f"WHERE {_qualified(EndpointSecret, SECRET_ALIAS, alias, 'endpoint')} IN ({', '.join(['%s'] * endpoints)}) "
        f"ORDER BY {_ordering(EndpointSecret, SECRET_ALIAS, alias)}"
    )
    return sql, reader


def _ordering(model, table_alias, alias):
    """``model``'s default ordering (``Meta.ordering``, plain field names), as the ORM's queries had it."""
    return ", ".join(_qualified(model, table_alias, alias, name.lstrip("-")) + (" DESC" if name.startswith("-") else "")
                     for name in model._meta.ordering)


def _qualified(model, table_alias, alias, name):
    """The column of field ``name`` of ``model``'s table named ``table_alias`` in the statement."""
    return f"{table_alias}.{sql_names.column(model, alias, name)}"
