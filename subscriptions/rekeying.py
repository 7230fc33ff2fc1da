"""Re-encrypting every stored secret under the first key, after ``WEBHOOKS_ENCRYPTION_KEYS`` changed.

Rows are taken in primary-key order, a bounded batch at a time, each batch
locked and rewritten in its own transaction, so a concurrent edit of an
endpoint is never overwritten with stale values and the command may be
stopped and run again at any point.
"""

from django.db import transaction

from subscriptions import encryption
from subscriptions.models import Endpoint, EndpointSecret

BATCH_SIZE = 500


def _rotate_endpoint(endpoint):
    if endpoint.url_encrypted:
        endpoint.url_encrypted = encryption.rotate(endpoint.url_encrypted)
    endpoint.headers = {name: encryption.rotate(token) for name, token in (endpoint.headers or {}).items()}
    if endpoint.tls_client_key:
        endpoint.tls_client_key = encryption.rotate(endpoint.tls_client_key)
    if endpoint.oauth2:
        endpoint.oauth2 = {**endpoint.oauth2, "client_secret": encryption.rotate(endpoint.oauth2["client_secret"])}


def _rotate_secret(secret):
    secret.key = encryption.rotate(secret.key)


TABLES = {
    "endpoints": (Endpoint, _rotate_endpoint, ["url_encrypted", "headers", "tls_client_key", "oauth2"]),
    "secrets": (EndpointSecret, _rotate_secret, ["key"]),
}


def count():
    return {label: model.objects.count() for label, (model, _, _) in TABLES.items()}


def _rotate_batch(model, rotate, fields, after, batch_size):
    """Re-encrypt the next batch after primary key ``after``; returns its last key and size."""
    with transaction.atomic():
        query = model.objects.select_for_update().order_by("pk")
        rows = list(query.filter(pk__gt=after)[:batch_size] if after is not None else query[:batch_size])
        for row in rows:
            rotate(row)
        model.objects.bulk_update(rows, fields)
    return (rows[-1].pk if rows else after), len(rows)


def reencrypt_all(*, batch_size=BATCH_SIZE, progress=None):
    """Every encrypted value under the first key; returns ``{table: rows rewritten}``."""
    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    done = {}
    for label, (model, rotate, fields) in TABLES.items():
        after, done[label] = None, 0
        while True:
            after, size = _rotate_batch(model, rotate, fields, after, batch_size)
            done[label] += size
            if progress and size:
                progress(label, size)
            if size < batch_size:
                break
    return done
