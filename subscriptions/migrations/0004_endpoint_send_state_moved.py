"""The endpoint's health and rate-limit columns leave ``hookplatform_endpoint`` (issue 13).

``failing_since``, ``last_success_at``, ``rate_window`` and ``rate_count`` are
written only by the send path, so they now live in ``delivery``'s own table
(``delivery.models.EndpointState``).  This app drops its own columns with
ordinary operations and knows nothing of where they went: ``delivery``'s
``0004_endpoint_state`` declares ``run_before`` this migration, so it has
copied the values out before they are dropped (and, reversed, copies them
back after they are re-added).
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('hookplatform_subscriptions', '0003_encrypt_secrets'),
    ]

    operations = [
        migrations.RemoveField(model_name='endpoint', name='failing_since'),
        migrations.RemoveField(model_name='endpoint', name='last_success_at'),
        migrations.RemoveField(model_name='endpoint', name='rate_count'),
        migrations.RemoveField(model_name='endpoint', name='rate_window'),
    ]
