"""``EndpointState``: the send path's columns of an endpoint, in a table of this app's own (issue 13).

The endpoint's ``failing_since``, ``last_success_at``, ``rate_window`` and
``rate_count`` were ``hookplatform_endpoint`` columns that only ``delivery``
writes.  This migration creates ``hookplatform_endpoint_state`` and copies
every endpoint's values into it, in one ``INSERT … SELECT``;
``hookplatform_subscriptions.0004_endpoint_send_state_moved`` then drops the
old columns.  ``run_before`` orders the two without that migration naming
this app, so each app's migrations touch only their own tables (reversed:
the columns come back first, then this copies the values back and drops the
table).  Plain operations on both sides, so SQLite and PostgreSQL alike.
"""

import django.db.models.deletion
from django.db import migrations, models

COLUMNS = ("failing_since", "last_success_at", "rate_window", "rate_count")


def _tables(apps, schema_editor):
    quote = schema_editor.quote_name
    endpoint = apps.get_model("hookplatform_subscriptions", "Endpoint")._meta.db_table
    state = apps.get_model("hookplatform_delivery", "EndpointState")._meta.db_table
    return quote(endpoint), quote(state), [quote(column) for column in COLUMNS]


def copy_out(apps, schema_editor):
    endpoint, state, columns = _tables(apps, schema_editor)
    listed = ", ".join(columns)
    schema_editor.execute(f"INSERT INTO {state} ({schema_editor.quote_name('endpoint_id')}, {listed}) "
                          f"SELECT {schema_editor.quote_name('id')}, {listed} FROM {endpoint}")


def copy_back(apps, schema_editor):
    endpoint, state, columns = _tables(apps, schema_editor)
    key, endpoint_key = schema_editor.quote_name("endpoint_id"), schema_editor.quote_name("id")
    assignments = ", ".join(
        f"{column} = COALESCE((SELECT {column} FROM {state} WHERE {state}.{key} = {endpoint}.{endpoint_key}), "
        f"{column})" for column in columns)
    schema_editor.execute(f"UPDATE {endpoint} SET {assignments}")


class Migration(migrations.Migration):

    dependencies = [
        ('hookplatform_delivery', '0003_lost_sends_and_resends'),
        ('hookplatform_subscriptions', '0003_encrypt_secrets'),
    ]
    run_before = [
        ('hookplatform_subscriptions', '0004_endpoint_send_state_moved'),
    ]

    operations = [
        migrations.CreateModel(
            name='EndpointState',
            fields=[
                ('endpoint', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                                  related_name='send_state', serialize=False,
                                                  to='hookplatform_subscriptions.endpoint')),
                ('failing_since', models.DateTimeField(blank=True, null=True)),
                ('last_success_at', models.DateTimeField(blank=True, null=True)),
                ('rate_window', models.BigIntegerField(default=0)),
                ('rate_count', models.PositiveIntegerField(default=0)),
            ],
            options={
                'db_table': 'hookplatform_endpoint_state',
            },
        ),
        migrations.RunPython(copy_out, copy_back),
    ]
