"""Authentication to receivers through a real worker: mTLS against a TLS server that requires a client
certificate, and OAuth2 client credentials against a local token endpoint."""

import ssl

import pytest
import trustme

from delivery import publish
from delivery.models import Attempt, Delivery
from subscriptions import create_endpoint, ensure_event_type
from tests.edge_servers import Server, TokenIssuer
from tests.worker import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def private_ca():
    return trustme.CA()


@pytest.fixture
def mtls_receiver(private_ca):
    """https://localhost:<port>, certified by a private CA, that requires a client certificate of that CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    private_ca.issue_cert("localhost").configure_cert(context)
    private_ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    server = Server(lambda handler, body: (200, {"ok": True}), tls_context=context).start()
    yield server
    server.stop()


def pem(blob):
    return blob.bytes().decode()


def test_the_client_certificate_is_presented_and_without_it_the_receiver_refuses(live_worker, mtls_receiver,
                                                                                 private_ca):
    ensure_event_type("invoice.paid")
    client = private_ca.issue_cert("hooks-client@example.com", common_name="hookplatform-client")
    trusted = pem(private_ca.cert_pem)
    with_cert = create_endpoint("org_m", url=mtls_receiver.url("/with"), tls_ca_bundle=trusted,
                                tls_client_cert=pem(client.cert_chain_pems[0]),
                                tls_client_key=pem(client.private_key_pem))
    without = create_endpoint("org_m", url=mtls_receiver.url("/without"), tls_ca_bundle=trusted)

    publish("invoice.paid", {"n": 1}, tenant="org_m")

    [got] = mtls_receiver.wait_for(1, "/with")
    assert got["client_cn"] == "hookplatform-client" and got["body"].startswith(b'{"type":"invoice.paid"')
    failed = wait_until(lambda: Attempt.objects.filter(endpoint=without).first(), what="a refused attempt")
    assert not failed.succeeded and failed.response_status is None and failed.error_class
    assert mtls_receiver.to("/without") == []
    assert wait_until(lambda: Delivery.objects.filter(endpoint=with_cert, status="succeeded").exists())


@pytest.fixture
def issuer():
    token_endpoint = TokenIssuer()
    token_endpoint.server.start()
    yield token_endpoint
    token_endpoint.server.stop()


@pytest.fixture
def gateway(issuer):
    """A receiver that accepts only bearer tokens the issuer issued and nobody revoked."""
    revoked = set()

    def answer(handler, body):
        token = (handler.headers.get("authorization") or "").removeprefix("Bearer ")
        return (200, {"ok": True}) if token in issuer.issued and token not in revoked else (401, {})

    server = Server(answer).start()
    server.revoked = revoked
    yield server
    server.stop()


def test_one_token_for_many_deliveries_and_a_new_one_after_a_401(own_workers, issuer, gateway):
    own_workers(concurrency=1)  # one process: its sending threads share the token
    ensure_event_type("invoice.paid")
    create_endpoint("org_o", url=gateway.url("/in"), oauth2={
        "token_url": issuer.server.url("/token"), "client_id": issuer.client_id,
        "client_secret": issuer.client_secret, "scope": "webhooks:write"})

    for n in range(8):
        publish("invoice.paid", {"n": n}, tenant="org_o")
    got = gateway.wait_for(8, "/in")
    assert {r["headers"]["authorization"] for r in got} == {"Bearer tok-1"} and issuer.issued == ["tok-1"]
    [token_request] = issuer.server.to("/token")
    assert b"scope=webhooks%3Awrite" in token_request["body"]

    gateway.revoked.add("tok-1")
    event = publish("invoice.paid", {"n": "after"}, tenant="org_o")
    delivery = wait_until(lambda: Delivery.objects.filter(event=event, status="succeeded").first())
    assert issuer.issued == ["tok-1", "tok-2"]
    assert [r["headers"]["authorization"] for r in gateway.to("/in")[8:]] == ["Bearer tok-1", "Bearer tok-2"]
    [attempt] = delivery.attempts.all()
    assert attempt.succeeded and attempt.request_headers["authorization"] == "<redacted>"


def test_a_refused_token_request_is_recorded_as_a_token_failure(live_worker, issuer, gateway):
    ensure_event_type("invoice.paid")
    endpoint = create_endpoint("org_o", url=gateway.url("/in"), oauth2={
        "token_url": issuer.server.url("/token"), "client_id": issuer.client_id, "client_secret": "wrong"})

    publish("invoice.paid", {"n": 1}, tenant="org_o")

    attempt = wait_until(lambda: Attempt.objects.filter(endpoint=endpoint).first(), what="an attempt")
    assert attempt.error_class == "OAuth2TokenError" and not attempt.succeeded
    assert "401" in attempt.error_message and "invalid_client" in attempt.error_message
    assert gateway.to("/in") == [] and "wrong" not in attempt.error_message
