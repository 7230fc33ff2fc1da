"""A receiver for an ordered endpoint's tests: the order of what it got, and how many at once.

It answers the first ``fail_first`` requests 500, then 200; it can hold one
request (the ``hold``-th, counting from 0) until the test releases it, and says
which local process sent it, so a test can kill the worker that is sending.
"""

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class LineReceiver:
    def __init__(self, fail_first=0, hold=None):
        self.fail_first, self.hold = fail_first, hold
        self.log = []  # (webhook-id, status answered), in arrival order
        self.in_flight = self.most_in_flight = 0
        self.held, self.release = threading.Event(), threading.Event()
        self.held_from_port = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                status = receiver._arrive(self.headers["webhook-id"], self.client_address[1])
                with receiver._lock:  # before the answer: its sender cannot have it (and send the next) sooner
                    receiver.in_flight -= 1
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_port}/line"

    def _arrive(self, event_id, client_port):
        with self._lock:
            number = len(self.log)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            held = number == self.hold
            status = 503 if held else 500 if number < self.fail_first else 200
            self.log.append((event_id, status))
        if held:
            self.held_from_port = client_port
            self.held.set()
            self.release.wait(120)  # its sender is killed meanwhile: the 503 never reaches anyone
        return status

    def received(self):
        """The event ids it answered 2xx, in order."""
        with self._lock:
            return [event_id for event_id, status in self.log if status == 200]

    def requested(self):
        with self._lock:
            return [event_id for event_id, _ in self.log]

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def sender_process_group(client_port, server_port):
    """The process group of the local process whose TCP connection from ``client_port`` to
    ``server_port`` is open (Linux ``/proc``): a test worker's group is its main process's id."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if int(local.rsplit(":", 1)[1], 16) == client_port and int(remote.rsplit(":", 1)[1], 16) == server_port:
                inodes.add(f"socket:[{inode}]")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in os.listdir(f"/proc/{pid}/fd")):
                return os.getpgid(int(pid))
        except OSError:  # gone, or not ours to read
            continue
    return None
