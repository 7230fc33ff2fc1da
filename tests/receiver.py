"""A real HTTP receiver on 127.0.0.1 for tests: records every request, answers as told."""

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

    def __init__(self):
        self.requests = []
        self.scripts = {}
        self.delays = {}
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
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
