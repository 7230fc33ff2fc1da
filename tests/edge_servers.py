"""Real servers at the network's edge, on 127.0.0.1: Debian's tinyproxy, a TLS receiver that may require a
client certificate, an OAuth2 token endpoint and a receiver that checks its bearer tokens."""

import base64
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from tests.worker import free_port

TINYPROXY = shutil.which("tinyproxy") or ("/usr/bin/tinyproxy" if Path("/usr/bin/tinyproxy").exists() else None)
needs_tinyproxy = pytest.mark.skipif(
    TINYPROXY is None, reason="Debian's tinyproxy is not installed (apt-get install -y tinyproxy; .ci/run does)")


def localhost_address():
    """Where ``localhost`` points first (127.0.0.1 or ::1): the servers listen there, so the name works."""
    family, _, _, _, address = socket.getaddrinfo("localhost", 0, type=socket.SOCK_STREAM)[0]
    return family, address[0]


class Tinyproxy:
    """tinyproxy in the foreground on 127.0.0.1, with Basic credentials; its log shows every CONNECT."""

    def __init__(self, folder, user="relay", password="s3cret"):
        self.folder, self.user, self.password = Path(folder), user, password
        self.port = free_port()
        self.log_path = self.folder / "tinyproxy.log"
        self.process = None

    def start(self):
        config = self.folder / "tinyproxy.conf"
        config.write_text(
            f'Port {self.port}\nListen 127.0.0.1\nTimeout 10\nLogFile "{self.log_path}"\nLogLevel Connect\n'
            f'PidFile "{self.folder / "tinyproxy.pid"}"\nMaxClients 50\nAllow 127.0.0.1\nAllow ::1\n'
            f"BasicAuth {self.user} {self.password}\nDisableViaHeader Yes\n")
        self.process = subprocess.Popen([TINYPROXY, "-d", "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("tinyproxy did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def url(self, password=None):
        return f"http://{self.user}:{password or self.password}@127.0.0.1:{self.port}"

    def connects(self):
        """The targets of the tunnels it was asked for, as ``host:port``."""
        text = self.log_path.read_text() if self.log_path.exists() else ""
        return [line.split("CONNECT ", 2)[-1].split(" ")[0] for line in text.splitlines()
                if "Request (file descriptor" in line and ": CONNECT " in line]


class _Recording(BaseHTTPRequestHandler):
    """Records each POST (path, headers, body, the client certificate's CN) and answers ``answer()``."""

    server_owner = None

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        owner = self.server_owner
        status, payload = owner.answer(self, body)
        with owner.lock:
            owner.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                   "body": body, "client_cn": _peer_cn(self.connection), "status": status})
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _peer_cn(connection):
    certificate = connection.getpeercert() if isinstance(connection, ssl.SSLSocket) else None
    for rdn in (certificate or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return None


class Server:
    """A threaded HTTP(S) server on localhost's address; ``answer(handler, body) -> (status, json)``."""

    def __init__(self, answer, tls_context=None):
        self.requests, self.lock, self.answer = [], threading.Lock(), answer
        family, address = localhost_address()
        handler = type("Handler", (_Recording,), {"server_owner": self})
        server_class = type("Server", (ThreadingHTTPServer,), {"address_family": family})
        self.server = server_class((address, 0), handler)
        self.server.daemon_threads = True
        self.scheme = "http"
        if tls_context is not None:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True,
                                                         do_handshake_on_connect=False)
            self.server.get_request = self._handshaken(self.server.get_request)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def _handshaken(accept):
        def get_request():
            connection, address = accept()
            connection.settimeout(5)
            connection.do_handshake()  # a refused client certificate fails here, and only this connection
            return connection, address
        return get_request

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def url(self, path="/hook", host="localhost"):
        return f"{self.scheme}://{host}:{self.server.server_address[1]}{path}"

    def to(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def wait_for(self, count, path, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.to(path)) >= count:
                return self.to(path)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} requests to {path}, got {len(self.to(path))}")


class TokenIssuer:
    """An OAuth2 token endpoint (client credentials, Basic client authentication) and what it issued."""

    def __init__(self, client_id="hooks", client_secret="t0ken-s3cret", expires_in=3600):
        self.client_id, self.client_secret, self.expires_in = client_id, client_secret, expires_in
        self.issued = []
        self.server = Server(self._answer)

    def _answer(self, handler, body):
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if handler.headers.get("authorization") != expected or form.get("grant_type") != "client_credentials":
            return 401, {"error": "invalid_client"}
        token = f"tok-{len(self.issued) + 1}"
        self.issued.append(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}

    @property
    def latest(self):
        return self.issued[-1] if self.issued else None
