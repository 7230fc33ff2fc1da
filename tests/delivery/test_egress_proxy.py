"""The door through a real egress proxy (Debian's tinyproxy on 127.0.0.1): a tunnel to the vetted address."""

import ssl

import trustme
from django.test import override_settings

from delivery import http_client, wire
from subscriptions.secrets import generate_secret
from tests.edge_servers import Server, localhost_address, needs_tinyproxy
from tests.worker import free_port

pytestmark = needs_tinyproxy




def send(url, options=http_client.NO_OPTIONS):
    request = wire.build_request(url=url, msg_id="msg_1", body="{}", secrets=[generate_secret()], custom_headers={})
    return http_client.post(request, timeout=5, body_limit=1024, options=options)


def test_http_goes_through_a_tunnel_to_the_vetted_address_with_the_host_name_kept(tinyproxy, local_receiver):
    with override_settings(WEBHOOKS_EGRESS_PROXY=tinyproxy.url()):
        outcome = send(local_receiver.url("/in"))
    assert outcome.succeeded, outcome.error_message
    [got] = local_receiver.to("/in")
    port = local_receiver.server.server_address[1]
    assert got["headers"]["host"] == f"localhost:{port}"  # the name the tenant gave, not the address
    _, address = localhost_address()
    assert tinyproxy.connects() == [f"{address}:{port}" if ":" not in address else f"[{address}]:{port}"]


def test_a_pooled_connection_the_receiver_closed_is_tunnelled_again_never_sent_to_the_proxy_as_is(
        tinyproxy, local_receiver):
    """urllib3 forgets a connection's tunnel when it closes; the pool reuses the object for the next request."""
    with override_settings(WEBHOOKS_EGRESS_PROXY=tinyproxy.url()):
        outcomes = [send(local_receiver.url("/again")) for _ in range(3)]  # HTTP/1.0: each answer closes
    assert all(o.succeeded for o in outcomes), [o.error_message for o in outcomes]
    assert len(local_receiver.to("/again")) == 3 and len(tinyproxy.connects()) == 3
    assert "POST /again" not in tinyproxy.log_path.read_text()


def test_https_keeps_sni_and_the_certificate_check_against_the_host_name(tinyproxy):
    ca = trustme.CA()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(server_context)
    server = Server(lambda handler, body: (200, {"ok": True}), tls_context=server_context).start()
    try:
        trusting = http_client.DoorOptions(tls_ca_bundle=ca.cert_pem.bytes().decode())
        with override_settings(WEBHOOKS_EGRESS_PROXY=tinyproxy.url()):
            outcome = send(server.url("/tls"), trusting)
            untrusted = send(server.url("/tls"))  # the public CAs do not know this one
            wrong_name = send(server.url("/tls", host="127.0.0.1"), trusting)
    finally:
        server.stop()
    assert outcome.succeeded, outcome.error_message
    assert not untrusted.succeeded and "certificate" in untrusted.error_message.lower()
    assert not wrong_name.succeeded and wrong_name.error_class != http_client.PROXY_ERROR
    assert len(server.to("/tls")) == 1


def test_a_proxy_that_is_down_is_a_proxy_error():
    with override_settings(WEBHOOKS_EGRESS_PROXY=f"http://127.0.0.1:{free_port()}"):
        outcome = send("http://localhost:9/nowhere")
    assert outcome.error_class == http_client.PROXY_ERROR and "cannot be reached" in outcome.error_message


def test_a_proxy_that_refuses_is_a_proxy_error_and_never_shows_the_password(tinyproxy, local_receiver):
    with override_settings(WEBHOOKS_EGRESS_PROXY=tinyproxy.url(password="wrong-pass")):
        outcome = send(local_receiver.url("/in"))
    assert outcome.error_class == http_client.PROXY_ERROR and "refused the tunnel" in outcome.error_message
    assert "wrong-pass" not in outcome.error_message and local_receiver.to("/in") == []


def test_a_receiver_the_proxy_cannot_reach_is_the_receivers_failure(tinyproxy):
    with override_settings(WEBHOOKS_EGRESS_PROXY=tinyproxy.url()):
        outcome = send(f"http://localhost:{free_port()}/closed")
    assert not outcome.succeeded and outcome.error_class != http_client.PROXY_ERROR
    assert "500" in outcome.error_message
