"""The quoted names of a model's table and columns on one database, for the statements we write by hand
(``returning``, ``outbox``, ``fanout``, ``endpoint_loading``): worked out once per model, field and database."""

import functools

from django.db import connections


@functools.lru_cache(maxsize=256)
def table(model, alias):
    return connections[alias].ops.quote_name(model._meta.db_table)


@functools.lru_cache(maxsize=1024)
def column(model, alias, name):
    """The quoted column of field ``name`` (``"tenant_id"`` for ``tenant``)."""
    return connections[alias].ops.quote_name(model._meta.get_field(name).column)
