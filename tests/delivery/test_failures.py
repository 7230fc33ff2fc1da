"""An attempt that got no answer says why, as a developer acts on it ("Connection refused by 127.0.0.1:8765"),
not urllib3's internals; real receivers on 127.0.0.1 for each network failure, chains built by hand for the rest."""

import errno
import socket
import ssl
import threading

import pytest
from django.core.exceptions import ValidationError

from delivery.failures import describe
from tests.delivery.test_http_client import http_answer, raw, send  # noqa: F401 (raw is a fixture)

INTERNALS = ("HTTPConnectionPool", "Max retries", "NewConnectionError", "Caused by", "object at 0x")


def assert_plain(outcome, expected):
    assert not outcome.succeeded and outcome.status is None
    assert outcome.error_message == expected, outcome.error_message
    assert not any(word in outcome.error_message for word in INTERNALS)


def port(server):
    return server.sock.getsockname()[1]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused():
    closed = free_port()
    assert_plain(send(f"http://127.0.0.1:{closed}/hook"),
                 f"Connection refused by 127.0.0.1:{closed}: nothing listens there.")


def test_closed_without_an_answer(raw):  # noqa: F811
    server = raw(lambda sock: None)
    assert_plain(send(server.url()), f"127.0.0.1:{port(server)} closed the connection without an answer.")


def test_connection_reset(raw):  # noqa: F811
    def reset(sock):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    server = raw(reset)
    assert_plain(send(server.url()), f"Connection reset by 127.0.0.1:{port(server)}.")


def test_not_http(raw):  # noqa: F811
    server = raw(lambda sock: sock.sendall(b"SSH-2.0-OpenSSH_9.6\r\n"))
    assert_plain(send(server.url()), f"127.0.0.1:{port(server)} did not answer HTTP (SSH-2.0-OpenSSH_9.6).")


def test_answer_cut_short(raw):  # noqa: F811
    server = raw(lambda sock: sock.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc"))
    outcome = send(server.url())
    assert not outcome.succeeded
    assert outcome.error_message == f"127.0.0.1:{port(server)} closed the connection before the end of its answer."


def test_tls_to_a_plain_http_receiver():
    """A receiver that answers a TLS hello in plain HTTP (an https:// URL to an http server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def answer_in_plain_http():
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(http_answer("400 Bad Request"))

        thread = threading.Thread(target=answer_in_plain_http, daemon=True)
        thread.start()
        plain = listener.getsockname()[1]
        outcome = send(f"https://127.0.0.1:{plain}/hook")
        thread.join(5)
    assert outcome.error_message.startswith(f"TLS with 127.0.0.1:{plain} failed: "), outcome.error_message
    assert not any(word in outcome.error_message for word in INTERNALS)


def wrapped(cause, name="ConnectionError"):
    """An exception as requests raises it: the standard library's cause two layers down."""
    middle = type("MaxRetryError", (Exception,), {})("pool internals")
    middle.reason = cause
    outer = type(name, (OSError,), {})(middle)
    return outer


URL = "https://hooks.example.com/in"


@pytest.mark.parametrize("cause, expected", [
    (socket.gaierror(-2, "Name or service not known"), "The host of hooks.example.com:443 did not resolve."),
    (OSError(errno.ENETUNREACH, "Network is unreachable"), "Network unreachable for hooks.example.com:443."),
    (OSError(errno.EHOSTUNREACH, "No route to host"), "No route to hooks.example.com:443."),
    (TimeoutError("timed out"), "No answer from hooks.example.com:443 within 15 s."),
    (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
     "TLS with hooks.example.com:443 failed: [SSL: WRONG_VERSION_NUMBER] wrong version number."),
])
def test_causes_found_under_the_transports_wrappers(cause, expected):
    assert describe(wrapped(cause), URL, 15) == expected


def test_a_connect_timeout_says_connection():
    assert describe(wrapped(TimeoutError("timed out"), "ConnectTimeout"), URL, 15) == (
        "No connection to hooks.example.com:443 within 15 s.")


def test_an_untrusted_certificate_names_why():
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate"
    assert describe(wrapped(error), URL, 15) == (
        "The TLS certificate of hooks.example.com:443 is not trusted: self-signed certificate.")


def test_a_refused_target_keeps_its_own_words():
    assert describe(ValidationError("The URL's host does not resolve."), URL, 15) == "The URL's host does not resolve."


def test_an_unknown_failure_is_left_to_the_caller():
    assert describe(ValueError("something else"), URL, 15) is None
