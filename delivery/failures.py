"""Why an attempt got no answer, in words one acts on: "Connection refused by 127.0.0.1:8765."

The one door (``http_client.post``) catches every failure of DNS, network,
TLS and receiver; their own text is the transport's internals (urllib3's
pool names, "Max retries exceeded", tuples of nested errors), which is what
the attempt log showed as ``error_message``.  Here the chain of causes is
walked to the standard library's error underneath, which names the cause;
the peer is said as ``host:port``.  Only standard-library types are looked at,
so this module imports neither requests nor urllib3.
"""

import errno
import http.client
import re
import socket
import ssl
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

DEFAULT_PORTS = {"http": 80, "https": 443}
SSL_SOURCE = re.compile(r"\s*\(_ssl\.c:\d+\)")


def describe(exc, url, timeout):
    """A sentence for ``exc``, raised while sending to ``url``; ``None`` when no cause is recognised."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    peer = _peer(url)
    chain = list(_causes(exc))
    for kind, sentence in RULES:
        for cause in chain:
            if _is(cause, kind):
                return sentence.format(peer=peer, timeout=timeout, cause=cause, detail=_detail(cause),
                                       stage="connection to" if _connecting(chain) else "answer from")
    return None


def _is(cause, kind):
    if isinstance(kind, int):
        return isinstance(cause, OSError) and cause.errno == kind
    return isinstance(cause, kind)


# First matching rule wins, so the most specific come first (a refused connect is also an OSError).
RULES = [
    (ConnectionRefusedError, "Connection refused by {peer}: nothing listens there."),
    (ssl.SSLCertVerificationError, "The TLS certificate of {peer} is not trusted: {detail}."),
    (ssl.SSLError, "TLS with {peer} failed: {detail}."),
    (http.client.RemoteDisconnected, "{peer} closed the connection without an answer."),  # a reset, too
    (ConnectionResetError, "Connection reset by {peer}."),
    (http.client.IncompleteRead, "{peer} closed the connection before the end of its answer."),
    (ConnectionAbortedError, "{peer} closed the connection without an answer."),
    (errno.ENETUNREACH, "Network unreachable for {peer}."),
    (errno.EHOSTUNREACH, "No route to {peer}."),
    (socket.gaierror, "The host of {peer} did not resolve."),
    (TimeoutError, "No {stage} {peer} within {timeout:g} s."),
    (http.client.HTTPException, "{peer} did not answer HTTP ({detail})."),
]


def _causes(exc):
    """``exc`` and everything it wraps: causes, contexts, nested arguments, urllib3's ``reason``."""
    seen, todo = set(), [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        todo += [inner for inner in wrapped if isinstance(inner, BaseException)]


def _connecting(chain):
    return any("Connect" in type(cause).__name__ and "Timeout" in type(cause).__name__ for cause in chain)


def _detail(cause):
    """The cause's own words on one line, without the C source line OpenSSL errors carry."""
    text = getattr(cause, "verify_message", None) or str(cause) or type(cause).__name__
    return " ".join(SSL_SOURCE.sub("", text).split())[:200]


def _peer(url):
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port or DEFAULT_PORTS.get(parts.scheme, '?')}"
    except ValueError:
        return "the receiver"
