"""Every attempt and token request of a real worker leaves through a real egress proxy (tinyproxy)."""

import pytest

from delivery import publish
from delivery.models import Attempt, Delivery, EndpointState
from subscriptions import create_endpoint, ensure_event_type
from tests.edge_servers import TokenIssuer, localhost_address, needs_tinyproxy
from tests.worker import free_port, wait_until

pytestmark = [pytest.mark.e2e, needs_tinyproxy]




def tunnel_to(server):
    _, address = localhost_address()
    host = f"[{address}]" if ":" in address else address
    return f"{host}:{server.server.server_address[1]}"


def test_attempts_and_token_requests_go_through_the_proxy_to_the_vetted_address(own_workers, tinyproxy, local_receiver):
    own_workers(extra_env={"WEBHOOKS_EGRESS_PROXY": tinyproxy.url()})
    issuer = TokenIssuer()
    issuer.server.start()
    try:
        ensure_event_type("invoice.paid")
        create_endpoint("org_p", url=local_receiver.url("/plain"))
        create_endpoint("org_p", url=local_receiver.url("/oauth"), oauth2={
            "token_url": issuer.server.url("/token"), "client_id": issuer.client_id,
            "client_secret": issuer.client_secret})

        publish("invoice.paid", {"n": 1}, tenant="org_p")

        [plain] = local_receiver.wait_for(1, "/plain")
        [oauth] = local_receiver.wait_for(1, "/oauth")
    finally:
        issuer.server.stop()
    # localhost:<port>, as the tenant wrote it
    assert plain["headers"]["host"] == local_receiver.url("/").split("/")[2]
    attempts = list(Attempt.objects.values_list("request_url", "succeeded", "error_class", "error_message"))
    assert oauth["headers"]["authorization"] == "Bearer tok-1", (issuer.issued, attempts)
    # The proxy was asked for the address we vetted, never for a name it would resolve itself.
    assert set(tinyproxy.connects()) == {tunnel_to(local_receiver), tunnel_to(issuer.server)}
    assert len(tinyproxy.connects()) >= 2 and "POST /" not in tinyproxy.log_path.read_text()


def test_a_proxy_that_is_down_fails_attempts_as_proxy_errors_that_never_disable_the_endpoint(own_workers,
                                                                                             local_receiver):
    own_workers(extra_env={"WEBHOOKS_EGRESS_PROXY": f"http://relay:pw@127.0.0.1:{free_port()}",
                           "WEBHOOKS_DISABLE_AFTER": "0.5"})
    ensure_event_type("invoice.paid")
    endpoint = create_endpoint("org_p", url=local_receiver.url("/down"))

    event = publish("invoice.paid", {"n": 1}, tenant="org_p")

    wait_until(lambda: Delivery.objects.filter(event=event, status="failed").exists(), timeout=40,
               what="the delivery exhausted")
    attempts = list(Attempt.objects.filter(endpoint=endpoint))
    assert len(attempts) == 4 and {a.error_class for a in attempts} == {"ProxyError"}
    assert "egress proxy cannot be reached" in attempts[0].error_message and "pw" not in attempts[0].error_message
    endpoint.refresh_from_db()
    assert not endpoint.disabled
    assert not EndpointState.objects.filter(pk=endpoint.pk, failing_since__isnull=False).exists()
    assert local_receiver.to("/down") == []
