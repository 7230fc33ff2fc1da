"""Receiver credentials in Python: the same validation as the API (keyed by field), encryption at rest and
re-encryption under a new key, the egress proxy setting's parser."""

import pytest
import trustme
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import call_command

from subscriptions import conf, create_endpoint, receiver_auth, update_endpoint
from subscriptions.models import Endpoint

CA = trustme.CA()
CLIENT = CA.issue_cert("client@example.com")
CERT, KEY = CLIENT.cert_chain_pems[0].bytes().decode(), CLIENT.private_key_pem.bytes().decode()
OAUTH2 = {"token_url": "https://127.0.0.1:9443/token", "client_id": "hooks", "client_secret": "cs-9"}


def test_python_callers_get_the_apis_errors_keyed_by_field(db):
    with pytest.raises(ValidationError) as refused:
        create_endpoint("org_1", url="https://127.0.0.1:8443/in", tls_client_cert=CERT,
                        tls_client_key=CA.issue_cert("x@example.com").private_key_pem.bytes().decode())
    assert list(refused.value.message_dict) == ["tls_client_key"]
    with pytest.raises(ValidationError) as refused:
        create_endpoint("org_1", url="https://127.0.0.1:8443/in", oauth2={**OAUTH2, "colour": "blue"})
    assert refused.value.message_dict == {"oauth2": ["colour: unknown field."]}
    endpoint = create_endpoint("org_1", url="https://127.0.0.1:8443/in", oauth2=OAUTH2)
    with pytest.raises(ValidationError, match="client_secret: required"):
        update_endpoint(endpoint, oauth2={"token_url": "https://127.0.0.2/token", "client_id": "hooks"})


def test_a_bearer_token_never_follows_the_url_to_a_new_origin_unless_oauth2_is_given_again(db):
    endpoint = create_endpoint("org_1", url="https://127.0.0.1:8443/in", oauth2=OAUTH2)
    update_endpoint(endpoint, url="https://127.0.0.1:8443/v2")  # same origin: kept
    for changes in ({}, {"oauth2": {key: OAUTH2[key] for key in ("token_url", "client_id")}}):
        with pytest.raises(ValidationError) as refused:
            update_endpoint(endpoint, url="https://127.0.0.2:8443/in", **changes)
        assert list(refused.value.message_dict) == ["oauth2"]
    update_endpoint(endpoint, url="https://127.0.0.2:8443/in", oauth2=OAUTH2)
    assert Endpoint.objects.get(pk=endpoint.pk).url == "https://127.0.0.2:8443/in"


def test_reencryption_moves_the_key_and_the_client_secret_to_the_new_key(db, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.WEBHOOKS_ENCRYPTION_KEYS = old_key
    endpoint = create_endpoint("org_1", url="https://127.0.0.1:8443/in", tls_client_cert=CERT, tls_client_key=KEY,
                               oauth2=OAUTH2)
    settings.WEBHOOKS_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("webhooks_reencrypt", batch_size=10)
    settings.WEBHOOKS_ENCRYPTION_KEYS = new_key
    endpoint = Endpoint.objects.get(pk=endpoint.pk)
    assert receiver_auth.tls_to_send(endpoint)[1] == KEY
    assert receiver_auth.oauth2_to_send(endpoint)["client_secret"] == "cs-9"


@pytest.mark.parametrize("value", ["socks5://127.0.0.1:1080", "http://", "http://proxy:99999",
                                   "http://proxy:3128/path", "proxy:3128"])
def test_the_egress_proxy_setting_refuses_what_it_cannot_use_without_echoing_it(settings, value):
    settings.WEBHOOKS_EGRESS_PROXY = value
    problems = conf.problems()
    assert [p.knob.name for p in problems] == ["WEBHOOKS_EGRESS_PROXY"]
    assert "http://user:pass@proxy.internal:3128" in str(problems[0])


def test_the_egress_proxy_setting_takes_an_http_url_with_credentials(settings):
    settings.WEBHOOKS_EGRESS_PROXY = "http://relay:p%40ss@10.0.0.5:3128"
    assert conf.get().egress_proxy == "http://relay:p%40ss@10.0.0.5:3128"
    assert "p%40ss" not in repr(conf.get())
