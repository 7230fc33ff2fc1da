"""M9: signing secrets, URL credentials and custom header values are encrypted at rest.

A dump of the database holds none of them in plain text, and deliveries
keep verifying across a rotation of the encryption key.
"""

import base64
import os
import shutil
import subprocess

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from standardwebhooks.webhooks import Webhook

from delivery import publish
from subscriptions import create_endpoint, ensure_event_type, reveal_secret
from subscriptions.models import Endpoint, EndpointSecret

pytestmark = pytest.mark.e2e

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
PASSWORD = "pw-7f3a9c1e55"
HEADER_VALUE = "hv-0b61d2a4c8"
QUERY_TOKEN = "qt-5e8d2f7a91"


def _credentialed_endpoint(url_base):
    scheme, rest = url_base.split("://", 1)
    return create_endpoint("org_1", url=f"{scheme}://alice:{PASSWORD}@{rest}?token={QUERY_TOKEN}",
                           headers={"X-Team": HEADER_VALUE}, secret=SECRET)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump of the PostgreSQL test database")
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_database_dump_holds_no_secret_in_plain_text(transactional_db):
    """M9: pg_dump of the test database shows no secret, URL password, query token or header value,
    also once a delivery to the endpoint failed (attempt log, error text)."""
    from delivery.fanout import fan_out_and_send
    from delivery.models import Attempt
    from tests.worker import free_port

    ensure_event_type("invoice.paid")
    endpoint = _credentialed_endpoint(f"http://127.0.0.1:{free_port()}/in")
    fan_out_and_send(publish("invoice.paid", {"n": 1}, tenant="org_1").id)
    assert Attempt.objects.get().error_message
    secrets = [SECRET, SECRET.removeprefix("whsec_"), PASSWORD, HEADER_VALUE, QUERY_TOKEN]
    config = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": config.get("PASSWORD") or ""}
    dump = subprocess.run(
        ["pg_dump", "-h", config.get("HOST") or "127.0.0.1", "-p", str(config.get("PORT") or 5432),
         "-U", config.get("USER") or "postgres", "--data-only", config["NAME"]],
        env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    assert endpoint.pk in dump and "alice:<redacted>@127.0.0.1" in dump  # the dump does hold the endpoint
    assert [s for s in secrets if s in dump] == []
    assert reveal_secret(endpoint) == SECRET  # and the platform can still read them


def test_every_stored_value_is_a_token_of_the_configured_key(db):
    """M9: what the tables hold decrypts with WEBHOOKS_ENCRYPTION_KEYS (and is not the plain value)."""
    ensure_event_type("invoice.paid")
    endpoint = _credentialed_endpoint("https://hooks.example.com/in")
    row = Endpoint.objects.get(pk=endpoint.pk)
    fernet = Fernet(settings.WEBHOOKS_ENCRYPTION_KEYS.split(",")[0])
    assert row.url == "https://alice:<redacted>@hooks.example.com/in?token=<redacted>"
    assert fernet.decrypt(row.url_encrypted.encode()).decode().startswith(f"https://alice:{PASSWORD}@")
    assert fernet.decrypt(row.headers["X-Team"].encode()).decode() == HEADER_VALUE
    assert fernet.decrypt(EndpointSecret.objects.get(endpoint=row).key.encode()).decode() == SECRET


def test_deliveries_verify_before_and_after_an_encryption_key_rotation(own_workers, receiver, settings):
    """M9: a real worker signs and authenticates with the old key, then (after webhooks_reencrypt and
    the old key's removal) with the new one; standardwebhooks verifies every delivery."""
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.WEBHOOKS_ENCRYPTION_KEYS = old_key
    ensure_event_type("invoice.paid")
    endpoint = _credentialed_endpoint(receiver.url("/rekey"))
    path = f"/rekey?token={QUERY_TOKEN}"
    basic = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()

    def delivered(worker_keys, n):
        worker = own_workers(extra_env={"WEBHOOKS_ENCRYPTION_KEYS": worker_keys})
        publish("invoice.paid", {"n": n}, tenant="org_1")
        got = receiver.wait_for(n, path)[n - 1]
        worker.kill()
        worker.close()
        assert Webhook(SECRET).verify(got.body, got.headers)["data"] == {"n": n}
        assert got.headers["x-team"] == HEADER_VALUE and got.headers["authorization"] == basic

    delivered(old_key, 1)
    settings.WEBHOOKS_ENCRYPTION_KEYS = f"{new_key},{old_key}"
    call_command("webhooks_reencrypt", progress=False, stdout=open(os.devnull, "w"))
    settings.WEBHOOKS_ENCRYPTION_KEYS = new_key
    row = Endpoint.objects.get(pk=endpoint.pk)
    with pytest.raises(InvalidToken):  # nothing is left under the old key
        Fernet(old_key).decrypt(row.url_encrypted.encode())
    delivered(new_key, 2)
    assert reveal_secret(endpoint) == SECRET
