"""M9: signing secrets, URL credentials and custom header values encrypted at rest; H2/M8 audit records.

The data step encrypts every existing row with the first key of
WEBHOOKS_ENCRYPTION_KEYS (the reverse decrypts them again).  The endpoint's
``url`` column keeps the URL as shown (credentials redacted) and the whole
URL goes to ``url_encrypted`` when the two differ.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from subscriptions import encryption, relabelling
from subscriptions.redaction import redact_url

BATCH = 500
MAX_URL = 2048


def _batches(queryset):
    batch = []
    for row in queryset.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def encrypt_rows(apps, schema_editor):
    Endpoint = apps.get_model("hookplatform_subscriptions", "Endpoint")
    EndpointSecret = apps.get_model("hookplatform_subscriptions", "EndpointSecret")
    for batch in _batches(Endpoint.objects.all()):
        for endpoint in batch:
            url, shown = endpoint.url, redact_url(endpoint.url)[:MAX_URL]
            endpoint.url, endpoint.url_encrypted = shown, encryption.encrypt(url) if shown != url else ""
            endpoint.headers = {name: encryption.encrypt(value) for name, value in (endpoint.headers or {}).items()}
        Endpoint.objects.bulk_update(batch, ["url", "url_encrypted", "headers"])
    for batch in _batches(EndpointSecret.objects.all()):
        for secret in batch:
            secret.key = encryption.encrypt(secret.key)
        EndpointSecret.objects.bulk_update(batch, ["key"])


def decrypt_rows(apps, schema_editor):
    Endpoint = apps.get_model("hookplatform_subscriptions", "Endpoint")
    EndpointSecret = apps.get_model("hookplatform_subscriptions", "EndpointSecret")
    for batch in _batches(Endpoint.objects.all()):
        for endpoint in batch:
            if endpoint.url_encrypted:
                endpoint.url = encryption.decrypt(endpoint.url_encrypted)
            endpoint.headers = {name: encryption.decrypt(token) for name, token in (endpoint.headers or {}).items()}
        Endpoint.objects.bulk_update(batch, ["url", "headers"])
    for batch in _batches(EndpointSecret.objects.all()):
        for secret in batch:
            secret.key = encryption.decrypt(secret.key)
        EndpointSecret.objects.bulk_update(batch, ["key"])


class Migration(relabelling.Migration):

    dependencies = [
        ("hookplatform_subscriptions", "0002_endpoint_rate_window"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apikey",
            options={"ordering": ["-created_at"],
                     "permissions": [("add_platform_key", "Can mint platform API keys (acting on every tenant)")],
                     "verbose_name": "API key"},
        ),
        migrations.AddField(
            model_name="endpoint",
            name="url_encrypted",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AlterField(
            model_name="endpointsecret",
            name="key",
            field=models.TextField(),
        ),
        migrations.CreateModel(
            name="SecretAccess",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("action", models.CharField(choices=[("reveal", "revealed"), ("rotate", "rotated")], max_length=16)),
                ("actor", models.CharField(max_length=300)),
                ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("endpoint", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                               related_name="secret_accesses", to="hookplatform_subscriptions.endpoint")),
            ],
            options={
                "verbose_name": "secret access",
                "verbose_name_plural": "secret accesses",
                "db_table": "hookplatform_secret_access",
                "ordering": ["-at", "-id"],
                "indexes": [models.Index(fields=["endpoint", "action", "-at"], name="hp_secret_access_idx")],
            },
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]
