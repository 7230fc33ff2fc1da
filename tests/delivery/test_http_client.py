"""The one door for outbound HTTP (and the wire it sends), against real receivers on 127.0.0.1."""

import base64
import gc
import http.client
import ipaddress
import json
import socket
import threading
import time
import zlib
from urllib.parse import urlsplit

import pytest
import requests
import trustme
import urllib3
from standardwebhooks.webhooks import Webhook

from delivery import header_caps, http_client, urllib3_guard, wire
from subscriptions import resolver
from subscriptions.redaction import redact_headers, redact_url
from subscriptions.secrets import generate_secret
from tests.receiver import RawServer

SECRET = generate_secret()


def request_to(url, **custom_headers):
    return wire.build_request(url=url, msg_id="msg_1", body='{"type":"t","data":{}}', secrets=[SECRET],
                                custom_headers=custom_headers)


def send(url, timeout=3.0, body_limit=20 * 1024, **custom_headers):
    return http_client.post(request_to(url, **custom_headers), timeout=timeout, body_limit=body_limit)


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
    assert got.headers["user-agent"] == f"hookplatform/{wire.VERSION}"
    assert got.headers["webhook-id"] == "msg_1"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 5
    assert got.headers["x-custom"] == "yes"
    assert got.body == b'{"type":"t","data":{}}'
    assert Webhook(SECRET).verify(got.body, got.headers) == {"type": "t", "data": {}}


def test_a_header_of_ours_replaces_the_sessions_default_whatever_its_case(raw):
    """The session's defaults (Accept, User-Agent, …) and the request's headers are merged case-insensitively:
    one line per name on the wire, the request's value."""
    server = raw(lambda conn: conn.sendall(http_answer()))
    request = request_to(server.url("/in"), **{"ACCEPT": "application/json"})
    request.headers["user-agent"] = "mine/1"
    assert http_client.post(request, timeout=3.0, body_limit=1024).succeeded
    [(head, _)] = server.requests
    lines = [line.lower() for line in head.split(b"\r\n")[1:]]
    assert [line for line in lines if line.startswith(b"accept:")] == [b"accept: application/json"]
    assert [line for line in lines if line.startswith(b"user-agent:")] == [b"user-agent: mine/1"]


def test_custom_headers_cannot_override_ours():
    request = wire.build_request(url="http://127.0.0.1:9/", msg_id="msg_1", body="{}", secrets=[SECRET],
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
    assert redact_url(url) == receiver.url("/private").replace("http://", "http://alice:<redacted>@")
    assert "s3cr3t" not in str(redact_headers({**request_to(url).headers,
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
    assert redact_url(url) == redacted


def test_nul_bytes_in_the_answer_are_made_storable(raw):
    outcome = send(raw(lambda sock: sock.sendall(http_answer(body=b"a\x00b", extra=b"x-odd: c\x00d\r\n"))).url())
    assert "\x00" not in outcome.body and "\x00" not in str(outcome.headers)


def pin(monkeypatch, url, address="127.0.0.1"):
    """Let ``url``'s host name connect to ``address`` the way a cached DNS answer does (no lookup)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    answer = (time.monotonic() + 60, [ipaddress.ip_address(address)])
    monkeypatch.setitem(resolver._cache, (parts.hostname, port), answer)


@pytest.mark.parametrize("url, host", [
    ("http://例え.test:8080/x", "xn--r8jz45g.test:8080"),
    ("https://BÜCHER.example/", "xn--bcher-kva.example"),
    ("http://plain.example/", "plain.example"),
    ("http://[::1]:81/", "[::1]:81"),
])
def test_host_header_is_ascii(url, host):
    """L18: the Host header of an IDN host is its punycode form."""
    assert http_client.host_header(url) == host


def test_an_invalid_idn_host_is_one_failed_attempt(monkeypatch):
    url = "http://a\u200db.test:9/"  # a joiner where IDNA 2008 allows none
    pin(monkeypatch, url)
    outcome = send(url)
    assert not outcome.succeeded and outcome.error_class == "InvalidURL"


def test_an_idn_host_is_sent_its_ascii_name(receiver, monkeypatch):
    """L18: a real send to ``http://例え.test:<port>/`` (pinned to 127.0.0.1) carries the ASCII Host."""
    url = f"http://例え.test:{receiver.port}/idn"
    pin(monkeypatch, url)
    outcome = send(url)
    assert outcome.succeeded, outcome.error_message
    [got] = receiver.to("/idn")
    assert got.headers["host"] == f"xn--r8jz45g.test:{receiver.port}"


def test_an_idn_host_is_the_ascii_tls_server_name(monkeypatch):
    """L18: TLS SNI (and so the certificate check) uses the punycode name too."""
    hellos, listener = [], socket.create_server(("127.0.0.1", 0))

    def capture():
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(3)
            hellos.append(conn.recv(65536))

    thread = threading.Thread(target=capture, daemon=True)
    thread.start()
    url = f"https://例え.test:{listener.getsockname()[1]}/"
    pin(monkeypatch, url)
    outcome = send(url, timeout=2.0)
    thread.join(3)
    listener.close()
    assert not outcome.succeeded  # no TLS server: the handshake ends at its first message
    assert hellos and b"xn--r8jz45g.test" in hellos[0]


def test_cookies_are_never_stored_nor_sent(raw, monkeypatch):
    """H1: a receiver's cookies, host-only or for the parent domain, never go with a later request
    (to another host of that domain or to the same one), and the session keeps none."""
    thrower = raw(lambda sock: sock.sendall(http_answer(extra=b"connection: close\r\n"  # one answer a connection
                                                              b"set-cookie: a=1; Path=/\r\n"
                                                              b"set-cookie: b=2; Domain=shared.test; Path=/\r\n")))
    port = thrower.sock.getsockname()[1]
    urls = [f"http://{name}.shared.test:{port}/hook" for name in ("tenant-a", "tenant-b", "tenant-a")]
    for url in urls:
        pin(monkeypatch, url)
        assert send(url).succeeded
    assert len(thrower.requests) == 3
    assert all(b"\r\ncookie:" not in head.lower() for head, _ in thrower.requests)
    assert len(http_client.session().cookies) == 0


def test_a_redirect_body_is_not_read_past_the_limit(raw):
    """C1: the body of a 3xx answer is read like any other: at most the limit, and logged."""
    body = b"r" * (5 * 1024 * 1024)
    server = raw(lambda sock: sock.sendall(http_answer("302 Found", body, b"location: /elsewhere\r\n")))
    outcome = send(server.url(), body_limit=1000)
    assert outcome.status == 302 and not outcome.succeeded
    assert outcome.body == "r" * 1000 and outcome.headers["location"] == "/elsewhere"


def test_a_head_over_its_budget_keeps_the_status_and_says_what_was_dropped(raw):
    """M3: header lines past the head budget are read and dropped, not kept in memory."""
    flood = b"".join(b"x-big-%d: %s\r\n" % (i, b"h" * 20_000) for i in range(60))
    server = raw(lambda sock: sock.sendall(b"HTTP/1.1 503 Busy\r\nretry-after: 7\r\n" + flood + b"\r\n"))
    outcome = send(server.url())
    assert outcome.status == 503 and outcome.retry_after == "7"
    assert len(json.dumps(outcome.headers)) < 5000
    assert outcome.headers[header_caps.CUT_KEY].startswith("59 more header(s) not kept")


@pytest.mark.parametrize("version, ok", [("2.6.0", True), ("2.8.0", True), ("3.0.0a1", True),
                                         ("2.5.0", False), ("1.26.20", False)])
def test_urllib3_without_bounded_decoding_is_refused(version, ok):
    """L21: the HTTP client relies on urllib3 2.6's bounded decoding; an older urllib3 fails at import."""
    if ok:
        urllib3_guard.require_bounded_decoding(version)
    else:
        with pytest.raises(ImportError, match="urllib3>=2.6"):
            urllib3_guard.require_bounded_decoding(version)


def test_header_caps():
    """M3: at most 50 headers and 4 kB, each value at most 1 kB, cut values and lost headers marked."""
    many = header_caps.cap_headers({f"x-{i}": "v" for i in range(80)})
    assert len(many) == header_caps.MAX_HEADERS + 1 and many[header_caps.CUT_KEY].startswith("30 more")
    big = header_caps.cap_headers({f"x-{i}": "é" * 5000 for i in range(10)})
    assert all(len(v.encode()) <= header_caps.MAX_VALUE_BYTES for v in big.values())
    assert sum(len(k.encode()) + len(v.encode()) for k, v in big.items() if k != header_caps.CUT_KEY) \
        <= header_caps.MAX_TOTAL_BYTES
    assert next(iter(big.values())).endswith(header_caps.CUT)
    assert header_caps.cap_headers({"a": "1"}) == {"a": "1"} and header_caps.cap_headers(None) is None


def gzipped_times(data, times):
    for _ in range(times):
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        data = compressor.compress(data) + compressor.flush()
    return data


@pytest.mark.parametrize("status, encoding, body, note", [
    ("500 Oops", b", ".join([b"gzip"] * 6), gzipped_times(b"x" * 10**6, 6), "Too many content encodings"),
    ("200 OK", b"gzip", b"this is not gzip", "could not be decoded"),
])
def test_an_undecodable_body_is_recorded_with_its_answer(raw, status, encoding, body, note):
    """C1: a body past urllib3's five-encoding limit (or not in its stated encoding) is not decoded,
    and the attempt still records the receiver's status and headers, with a note as its body."""
    server = raw(lambda sock: sock.sendall(http_answer(status, body, b"content-encoding: %s\r\n" % encoding)))
    outcome = send(server.url())
    assert outcome.status == int(status[:3]) and outcome.succeeded == status.startswith("2")
    assert outcome.headers["content-encoding"] == encoding.decode()
    assert note in outcome.body and len(outcome.body) <= 20 * 1024


def test_nothing_of_an_answer_outlives_its_attempt(raw):
    """H1: a kept-alive connection used to hold its last response, headers and all, until its next
    request; now no response object of any layer keeps a receiver's headers after the attempt."""
    marker = "kept-" + "s" * 20_000
    server = raw(lambda sock: sock.sendall(http_answer(body=b"ok", extra=b"x-receiver: %s\r\n" % marker.encode())))
    assert send(server.url()).succeeded
    gc.collect()
    assert not [obj for obj in live_responses()
                if marker in str(getattr(obj, "msg", "")) + str(getattr(obj, "headers", ""))]


def live_responses():
    for obj in gc.get_objects():
        try:
            if isinstance(obj, http.client.HTTPResponse | urllib3.HTTPResponse | requests.Response):
                yield obj
        except ReferenceError:  # a weak proxy whose object is gone
            continue


def test_a_kept_pool_is_the_one_of_its_vetted_address_and_one_let_go_is_not_kept():
    """The adapter keeps each origin's pool, but per vetted address (a name that now resolves elsewhere
    never reuses the old address's connections) and per endpoint's TLS options; a pool the pool
    manager lets go (it keeps the most recently used ones) is not kept either."""
    adapter = http_client.PinnedAdapter(pool_connections=2, pool_maxsize=2, max_retries=0)
    request = requests.Request("POST", "https://hooks.example:8443/a").prepare()
    other_path = requests.Request("POST", "https://hooks.example:8443/b?c=d").prepare()

    def pool(address, options=http_client.NO_OPTIONS, prepared=request):
        with http_client._Attempt(address, time.monotonic() + 5, options):
            return adapter.get_connection_with_tls_context(prepared, True, {})

    first = pool("127.0.0.2")
    assert (first.host, first.port, first.conn_kw["server_hostname"]) == ("127.0.0.2", 8443, "hooks.example")
    assert pool("127.0.0.2", prepared=other_path) is first
    moved = pool("127.0.0.3")
    assert moved is not first and moved.host == "127.0.0.3"
    own_ca = trustme.CA().cert_pem.bytes().decode()
    mtls = pool("127.0.0.2", http_client.DoorOptions(tls_ca_bundle=own_ca))  # the third pool: the first goes
    assert mtls is not first and mtls.conn_kw["ssl_context"] is not None
    assert first not in adapter._pools.values() and len(adapter._pools) == 2
    again = pool("127.0.0.2")
    assert again is not first and again.host == "127.0.0.2"
