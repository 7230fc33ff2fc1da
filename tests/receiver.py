"""A real HTTP receiver on 127.0.0.1 for tests: records every request, answers as told."""

import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float


class Receiver:
    """Each path answers from its own script of statuses (the last one repeats); 200 by default."""

    def __init__(self, port=0):
        self.requests = []
        self.scripts = {}
        self.delays = {}
        self.extra_headers = {}  # path -> headers every answer there carries
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                    )
                    script = receiver.scripts.get(self.path, [200])
                    status = script.pop(0) if len(script) > 1 else script[0]
                delay = receiver.delays.get(self.path)
                if delay:
                    time.sleep(delay)
                payload = b'{"ok": true}'
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for name, value in receiver.extra_headers.get(self.path, {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def port(self):
        return self.server.server_address[1]

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path, *statuses):
        self.scripts[path] = list(statuses)

    def to(self, path):
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, count, path=None, timeout=30):
        """Wait until ``count`` requests (to ``path``, if given) arrived; returns them."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.to(path) if path else list(self.requests)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        got = self.to(path) if path else list(self.requests)
        raise AssertionError(f"expected {count} requests to {path or 'any path'}, got {len(got)}")


class RawServer:
    """A TCP server on 127.0.0.1 that answers with whatever bytes ``behaviour(sock)`` writes.

    For receivers no well-behaved HTTP server would be: trickling, huge,
    silent or not speaking HTTP at all.  The request is read first.
    """

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.requests = []
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self._stopped.set()
        self.sock.close()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}{path}"

    def _serve(self):
        while not self._stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        try:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                body += conn.recv(65536)
            self.requests.append((head, body))
            self.behaviour(conn)
        except OSError:
            pass
        finally:
            conn.close()
