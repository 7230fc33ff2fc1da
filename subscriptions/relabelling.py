"""The migrations written before the relabel adopt a database that applied them under the old labels.

Until issue 13 the apps were labelled ``subscriptions`` and ``delivery``; those are common labels of
a host's own apps (billing subscriptions, shipping deliveries), so they are now
``hookplatform_subscriptions`` and ``hookplatform_delivery`` (tables keep their ``hookplatform_*``
names). The six migrations of that time kept their names and operations and are each a
:class:`Migration` of this module (later ones are plain). Where the same migration was applied under
the old label (its ``django_migrations`` row is there *and* the tables it leaves exist), it applies
nothing to the schema, moves the app's content types to the new label (permissions keep their ids,
so every user and group keeps them) and deletes that old row. A database that stopped half-way
through the old history finishes it under the new labels.

Why not ``replaces = [("subscriptions", "0001_initial"), ...]``: the loader would take a host's own
applied ``subscriptions.0001_initial`` for ours and never create our tables; asking for our tables
as well tells the host's row from ours. Why a ``Migration`` subclass, not ``SeparateDatabaseAndState``
or a custom operation: whether to touch the schema depends on the database and on the migration's
own name, known only when it runs. Left to the host (README): adding an app of its own labelled
``subscriptions`` in the same deploy as this upgrade, since Django would take our old rows for its.
"""

from django.apps import apps as global_apps
from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder

OLD_LABELS = {"hookplatform_subscriptions": "subscriptions", "hookplatform_delivery": "delivery"}


class Migration(migrations.Migration):
    """Runs as usual, or adopts the same migration applied under the app's old label."""

    def apply(self, project_state, schema_editor, collect_sql=False):
        after = self.mutate_state(project_state)
        connection = schema_editor.connection
        if collect_sql or not self._applied_under_old_label(after, connection):
            return super().apply(project_state, schema_editor, collect_sql)
        relabel_content_types(connection, OLD_LABELS[self.app_label], self.app_label,
                              [name for label, name in after.models if label == self.app_label])
        self._old_rows(connection).delete()
        return after

    def _applied_under_old_label(self, after, connection):
        tables = {state.options["db_table"] for (label, _), state in after.models.items() if label == self.app_label}
        return self._old_rows(connection).exists() and tables <= set(connection.introspection.table_names())

    def _old_rows(self, connection):
        return MigrationRecorder(connection).migration_qs.filter(app=OLD_LABELS[self.app_label], name=self.name)


def relabel_content_types(connection, old_label, new_label, model_names):
    """Moves the content types (and so the permissions hanging on them) of our models to the new label."""
    if not global_apps.is_installed("django.contrib.contenttypes"):
        return
    ContentType = global_apps.get_model("contenttypes", "ContentType")
    if ContentType._meta.db_table not in connection.introspection.table_names():
        return
    ContentType.objects.using(connection.alias).filter(app_label=old_label, model__in=model_names).update(
        app_label=new_label)
    ContentType.objects.clear_cache()
