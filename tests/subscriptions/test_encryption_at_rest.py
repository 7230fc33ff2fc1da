"""M9: the data migration encrypts the rows that were stored in plain text (and its reverse decrypts
them); ``webhooks_reencrypt`` moves every value to the first key, in batches, with a progress bar."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from subscriptions import create_endpoint, reveal_secret
from subscriptions.models import Endpoint, EndpointSecret

BEFORE = [("hookplatform_subscriptions", "0002_endpoint_rate_window")]
AFTER = [("hookplatform_subscriptions", "0003_encrypt_secrets")]
SECRET = "whsec_" + "a" * 43 + "="


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def test_the_migration_encrypts_plain_rows_and_its_reverse_decrypts_them(transactional_db, settings):
    """M9: rows written before 0003 end up encrypted (URL redacted in its column); reversing restores them."""
    old = _migrate(BEFORE)
    tenant = old.get_model("hookplatform_subscriptions", "Tenant").objects.create(uid="org_m")
    endpoint = old.get_model("hookplatform_subscriptions", "Endpoint").objects.create(
        id="ep_m", tenant=tenant, url="https://u:pw-9@hooks.example.com/in?token=tk-9", headers={"X-Team": "hv-9"})
    old.get_model("hookplatform_subscriptions", "EndpointSecret").objects.create(endpoint=endpoint, key=SECRET)

    after = _migrate(AFTER)
    stored = str(after.get_model("hookplatform_subscriptions", "Endpoint").objects.filter(pk="ep_m").values().get())
    stored += after.get_model("hookplatform_subscriptions", "EndpointSecret").objects.get().key
    assert not any(plain in stored for plain in ("pw-9", "tk-9", "hv-9", SECRET))
    _migrate(_latest())  # the model's methods need the columns later migrations add
    row = Endpoint.objects.get(pk="ep_m")
    assert row.url == "https://u:<redacted>@hooks.example.com/in?token=<redacted>"
    assert row.url_to_send() == "https://u:pw-9@hooks.example.com/in?token=tk-9"
    assert row.headers_to_send() == {"X-Team": "hv-9"} and reveal_secret(row) == SECRET

    old = _migrate(BEFORE)
    plain = old.get_model("hookplatform_subscriptions", "Endpoint").objects.get(pk="ep_m")
    assert plain.url == "https://u:pw-9@hooks.example.com/in?token=tk-9" and plain.headers == {"X-Team": "hv-9"}
    assert old.get_model("hookplatform_subscriptions", "EndpointSecret").objects.get().key == SECRET
    _migrate(_latest())  # the schema the other tests expect


def test_reencrypt_moves_every_value_to_the_first_key(db, settings, capsys):
    """M9: after a key rotation, every token decrypts with the new key alone; a progress bar is drawn."""
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.WEBHOOKS_ENCRYPTION_KEYS = old_key
    endpoints = [create_endpoint("org_1", url=f"https://u:p{n}@hooks.example.com/{n}", headers={"X-N": str(n)})
                 for n in range(5)]
    settings.WEBHOOKS_ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()
    call_command("webhooks_reencrypt", batch_size=2, progress=True, stdout=out)
    assert "re-encrypted 5 endpoints, 5 secrets" in out.getvalue()
    assert "[############------------------]         2/5" in capsys.readouterr().err
    only_new = Fernet(new_key)
    for endpoint in Endpoint.objects.all():
        only_new.decrypt(endpoint.url_encrypted.encode())
        only_new.decrypt(endpoint.headers["X-N"].encode())
    for secret in EndpointSecret.objects.all():
        only_new.decrypt(secret.key.encode())
    settings.WEBHOOKS_ENCRYPTION_KEYS = new_key
    assert [e.url_to_send() for e in Endpoint.objects.order_by("url")] == [
        f"https://u:p{n}@hooks.example.com/{n}" for n in range(5)]
    assert len({reveal_secret(e) for e in endpoints}) == 5


def test_a_value_under_a_removed_key_is_a_clear_error(db, settings):
    """M9: removing a key before re-encrypting fails loudly, naming the setting and the command."""
    from subscriptions.encryption import DecryptionError

    endpoint = create_endpoint("org_1", url="https://hooks.example.com/in")
    settings.WEBHOOKS_ENCRYPTION_KEYS = Fernet.generate_key().decode()
    with pytest.raises(DecryptionError, match="webhooks_reencrypt"):
        reveal_secret(endpoint)
