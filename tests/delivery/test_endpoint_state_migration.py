"""The endpoint's health and rate-limit columns move to delivery's ``EndpointState`` with their values
(``hookplatform_delivery.0004_endpoint_state``, then ``hookplatform_subscriptions.0004``), and back."""

from datetime import UTC, datetime

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from delivery.models import EndpointState
from subscriptions.models import Endpoint

BEFORE = [("hookplatform_subscriptions", "0003_encrypt_secrets"),
          ("hookplatform_delivery", "0003_lost_sends_and_resends")]
SINCE, LAST = datetime(2026, 11, 30, 8, 15, tzinfo=UTC), datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
VALUES = {"ep_failing": {"failing_since": SINCE, "last_success_at": LAST, "rate_window": 1_790_000_000,
                         "rate_count": 7},
          "ep_quiet": {"failing_since": None, "last_success_at": None, "rate_window": 0, "rate_count": 0}}


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _columns(table):
    with connection.cursor() as cursor:
        return {column.name for column in connection.introspection.get_table_description(cursor, table)}


def test_the_upgrade_moves_each_endpoints_values_and_drops_the_old_columns(transactional_db):
    old = _migrate(BEFORE)
    tenant = old.get_model("hookplatform_subscriptions", "Tenant").objects.create(uid="org_up")
    for pk, values in VALUES.items():
        old.get_model("hookplatform_subscriptions", "Endpoint").objects.create(
            id=pk, tenant=tenant, url=f"https://hooks.example.com/{pk}", **values)

    try:
        _migrate(_latest())
        moved = {state.endpoint_id: {name: getattr(state, name) for name in VALUES["ep_quiet"]}
                 for state in EndpointState.objects.all()}
        assert moved == VALUES
        assert not _columns(Endpoint._meta.db_table) & set(VALUES["ep_quiet"])
        assert Endpoint.objects.get(pk="ep_failing").send_state.failing_since == SINCE

        back = _migrate(BEFORE)  # the reverse puts them back in the endpoint's row
        restored = {row["id"]: {name: row[name] for name in VALUES["ep_quiet"]} for row in
                    back.get_model("hookplatform_subscriptions", "Endpoint").objects.values()}
        assert restored == VALUES
        assert EndpointState._meta.db_table not in connection.introspection.table_names()
    finally:
        _migrate(_latest())  # the schema the other tests expect
