"""Receivers' OAuth2 tokens against a real local token endpoint: one fetch shared by concurrent threads,
kept until the margin before expiry, one refresh on a 401, token failures as the attempt's outcome."""

import threading

import pytest
from django.test import override_settings

from delivery import http_client, oauth2, wire
from tests.edge_servers import Server, TokenIssuer


@pytest.fixture
def issuer():
    oauth2.clear_cache()
    token_endpoint = TokenIssuer(expires_in=120)
    token_endpoint.server.start()
    yield token_endpoint
    token_endpoint.server.stop()
    oauth2.clear_cache()


def credentials(issuer, **changes):
    return {"token_url": issuer.server.url("/token"), "client_id": issuer.client_id,
            "client_secret": issuer.client_secret} | changes


def test_concurrent_threads_share_one_fetch(issuer):
    tokens, start = [], threading.Barrier(12)

    def ask():
        start.wait()
        tokens.append(oauth2.bearer(credentials(issuer), timeout=5))

    threads = [threading.Thread(target=ask) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tokens == ["tok-1"] * 12 and issuer.issued == ["tok-1"]


def test_a_token_is_fetched_anew_within_the_margin_before_it_expires(issuer, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(oauth2.time, "monotonic", lambda: clock[0])
    with override_settings(WEBHOOKS_OAUTH2_TOKEN_MARGIN=30):
        assert oauth2.bearer(credentials(issuer), timeout=5) == "tok-1"
        clock[0] += 89  # expires_in 120, margin 30: fresh for 90 s
        assert oauth2.bearer(credentials(issuer), timeout=5) == "tok-1"
        clock[0] += 2
        assert oauth2.bearer(credentials(issuer), timeout=5) == "tok-2"


def test_a_receiver_that_keeps_refusing_gets_one_new_token_and_the_401_is_the_outcome(issuer):
    refusing = Server(lambda handler, body: (401, {"error": "nope"})).start()
    try:
        request = wire.Request(url=refusing.url("/in"), headers={"x": "1"}, body=b"{}")
        sent, outcome = oauth2.post(request, credentials(issuer), timeout=5, body_limit=1024,
                                    options=http_client.NO_OPTIONS)
    finally:
        refusing.stop()
    assert outcome.status == 401 and not outcome.succeeded and issuer.issued == ["tok-1", "tok-2"]
    assert [r["headers"]["authorization"] for r in refusing.to("/in")] == ["Bearer tok-1", "Bearer tok-2"]
    assert sent.headers["authorization"] == "Bearer tok-2" and request.headers == {"x": "1"}


@pytest.mark.parametrize(("answer", "message"), [
    ((200, {"token_type": "Bearer"}), "no access_token"),
    ((200, {"access_token": "a\r\nb", "token_type": "Bearer"}), "no usable bearer token"),
    ((200, {"access_token": "mac-token", "token_type": "MAC"}), "no usable bearer token"),
    ((400, {"error": "invalid_scope", "error_description": "no such scope"}), "400: invalid_scope no such scope"),
])
def test_unusable_token_answers_are_token_failures(answer, message):
    token_endpoint = Server(lambda handler, body: answer).start()
    try:
        request = wire.Request(url="http://localhost:9/never", headers={}, body=b"{}")
        _, outcome = oauth2.post(request, {"token_url": token_endpoint.url("/token"), "client_id": "c",
                                           "client_secret": "s"}, timeout=5, body_limit=1024,
                                 options=http_client.NO_OPTIONS)
    finally:
        token_endpoint.stop()
    assert outcome.error_class == oauth2.TOKEN_ERROR and message in outcome.error_message


def test_the_token_url_is_vetted_again_at_send_time(issuer):
    """Saved while private networks were allowed; refused once they are not: the door checks every request."""
    request = wire.Request(url="http://localhost:9/never", headers={}, body=b"{}")
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_NETWORKS=False):
        _, outcome = oauth2.post(request, credentials(issuer), timeout=5, body_limit=1024,
                                 options=http_client.NO_OPTIONS)
    assert outcome.error_class == oauth2.TOKEN_ERROR and "public address" in outcome.error_message
    assert issuer.issued == []
