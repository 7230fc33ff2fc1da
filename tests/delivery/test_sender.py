"""The one door for outbound HTTP, against real receivers on 127.0.0.1."""

import base64
import socket
import time

import pytest
from standardwebhooks.webhooks import Webhook

from delivery import sender
from subscriptions.secrets import generate_secret
from tests.receiver import RawServer

SECRET = generate_secret()


def request_to(url, **custom_headers):
    return sender.build_request(url=url, msg_id="msg_1", body='{"type":"t","data":{}}', secrets=[SECRET],
                                custom_headers=custom_headers)


def send(url, timeout=3.0, body_limit=20 * 1024, **custom_headers):
    return sender.send(request_to(url, **custom_headers), timeout=timeout, body_limit=body_limit)


@pytest.fixture
def raw():
    servers = []

    def start(behaviour):
        server = RawServer(behaviour).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def http_answer(status="200 OK", body=b"", extra=b""):
    return (f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n".encode() + extra + b"\r\n" + body)


def test_wire_format(receiver):
    outcome = send(receiver.url("/in"), **{"X-Custom": "yes"})
    assert outcome.succeeded and outcome.status == 200 and outcome.body == '{"ok": true}'
    [got] = receiver.to("/in")
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == f"hookplatform/{sender.VERSION}"
    assert got.headers["webhook-id"] == "msg_1"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 5
    assert got.headers["x-custom"] == "yes"
    assert got.body == b'{"type":"t","data":{}}'
    assert Webhook(SECRET).verify(got.body, got.headers) == {"type": "t", "data": {}}


def test_custom_headers_cannot_override_ours():
    request = sender.build_request(url="http://127.0.0.1:9/", msg_id="msg_1", body="{}", secrets=[SECRET],
                                   custom_headers={"webhook-id": "forged", "content-type": "text/plain"})
    assert request.headers["webhook-id"] == "msg_1"
    assert request.headers["content-type"] == "application/json"


def test_redirect_is_not_followed(receiver, raw):
    server = raw(lambda sock: sock.sendall(http_answer("302 Found", extra=f"location: {receiver.url('/x')}\r\n"
                                                                            .encode())))
    outcome = send(server.url())
    assert not outcome.succeeded and outcome.status == 302
    assert receiver.requests == []


def test_response_body_is_capped(raw):
    huge = b"A" * (5 * 1024 * 1024)
    outcome = send(raw(lambda sock: sock.sendall(http_answer(body=huge))).url())
    assert outcome.succeeded and len(outcome.body) == 20 * 1024


def test_response_body_is_capped_when_chunked_without_length(raw):
    def endless(sock):
        sock.sendall(b"HTTP/1.1 500 Oops\r\ntransfer-encoding: chunked\r\n\r\n")
        for _ in range(2000):  # 8 MB, far more than is read
            sock.sendall(b"1000\r\n" + b"B" * 4096 + b"\r\n")

    started = time.monotonic()
    outcome = send(raw(endless).url(), body_limit=1000)
    assert outcome.status == 500 and outcome.body == "B" * 1000
    assert time.monotonic() - started < 3


def test_trickling_body_is_cut_by_the_deadline(raw):
    def trickle(sock):
        sock.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
        for _ in range(100):
            sock.sendall(b"x")
            time.sleep(0.2)

    started = time.monotonic()
    outcome = send(raw(trickle).url(), timeout=1.5)
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"the attempt took {elapsed:.1f} s with a 1.5 s timeout"
    assert not outcome.succeeded


def test_silent_receiver_times_out(raw):
    outcome = send(raw(lambda sock: time.sleep(5)).url(), timeout=1)
    assert not outcome.succeeded and outcome.status is None
    assert outcome.error_class in ("ReadTimeout", "ConnectionError", "DeadlineExceeded")
    assert outcome.duration_ms < 2500


def test_receiver_closing_without_answer(raw):
    outcome = send(raw(lambda sock: None).url())
    assert not outcome.succeeded and outcome.error_class == "ConnectionError"


def test_non_http_reply(raw):
    outcome = send(raw(lambda sock: sock.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")).url())
    assert not outcome.succeeded and outcome.status is None and outcome.error_class


def test_connection_refused_is_recorded():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = send(f"http://127.0.0.1:{port}/hook")
    assert not outcome.succeeded and outcome.status is None
    assert outcome.error_class == "ConnectionError"
    assert "refused" in outcome.error_message.lower()


def test_url_credentials_go_as_basic_auth_and_never_in_the_log(receiver):
    url = receiver.url("/private").replace("http://", "http://alice:s3cr3t@")
    outcome = send(url)
    assert outcome.succeeded
    [got] = receiver.to("/private")
    assert got.headers["authorization"] == "Basic " + base64.b64encode(b"alice:s3cr3t").decode()
    assert sender.redact_url(url) == receiver.url("/private").replace("http://", "http://alice:<redacted>@")
    assert "s3cr3t" not in str(sender.redact_headers({**request_to(url).headers,
                                                       "Authorization": got.headers["authorization"]}))


def test_password_is_redacted_from_error_messages():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = send(f"http://alice:s3cr3t@127.0.0.1:{port}/hook")
    assert outcome.error_message and "s3cr3t" not in outcome.error_message


@pytest.mark.parametrize("url, redacted", [
    ("https://u:p@example.com/x?y=1", "https://u:<redacted>@example.com/x?y=1"),
    ("https://u:p@example.com:8443/x", "https://u:<redacted>@example.com:8443/x"),
    ("https://u:p@[2001:db8::1]:8443/x", "https://u:<redacted>@[2001:db8::1]:8443/x"),
    ("https://example.com/x", "https://example.com/x"),
])
def test_redact_url(url, redacted):
    assert sender.redact_url(url) == redacted


def test_nul_bytes_in_the_answer_are_made_storable(raw):
    outcome = send(raw(lambda sock: sock.sendall(http_answer(body=b"a\x00b", extra=b"x-odd: c\x00d\r\n"))).url())
    assert "\x00" not in outcome.body and "\x00" not in str(outcome.headers)
