"""Receivers that fight back, through the real sender: each costs one bounded attempt and no memory.

What ``tests/delivery/test_http_client.py`` already covers (a silent receiver, a
trickled body, a 5 MB body, an endless chunked body, an SSH banner) is not
repeated here; these are the status line and headers trickled past the
read timeout (only the watchdog can stop them), answers that come too late,
hundreds of megabytes offered at full speed, a gzip bomb, a connection held
open, and malformed HTTP; and then a few of them against a real worker,
whose attempt log, retry schedule and memory are checked.
"""

import threading
import time
import zlib

import pytest

from delivery import deadlines, http_client, publish, wire
from delivery.models import Attempt, Delivery
from subscriptions import create_endpoint, ensure_event_type
from tests.receiver import RawServer
from tests.worker import TEST_ENV, wait_until

TIMEOUT = 2.0
SLACK = 1.5  # thread wake-ups and a loaded machine; far below a second timeout
BODY_LIMIT = 20 * 1024
MB = 1024 * 1024


@pytest.fixture
def hostile():
    """``hostile(behaviour)`` starts a raw server on 127.0.0.1 and returns its URL."""
    servers = []

    def start(behaviour):
        servers.append(RawServer(behaviour).start())
        return servers[-1].url()

    yield start
    for server in servers:
        server.stop()


def attempt(url):
    request = wire.build_request(url=url, msg_id="msg_hostile", body='{"type":"t","data":{}}',
                                   secrets=["whsec_" + "A" * 44], custom_headers={})
    started = time.monotonic()
    outcome = http_client.post(request, timeout=TIMEOUT, body_limit=BODY_LIMIT)
    return outcome, time.monotonic() - started


def assert_one_bounded_failure(outcome, elapsed):
    assert elapsed <= TIMEOUT + SLACK, f"the attempt took {elapsed:.2f} s with a {TIMEOUT} s timeout"
    assert not outcome.succeeded
    assert outcome.error_class and outcome.error_message
    assert len(outcome.body) <= BODY_LIMIT


def trickle(data, every=0.5):
    """Send ``data`` one byte per ``every`` seconds: each byte resets a read timeout, not the deadline."""
    def behaviour(sock):
        for byte in data:
            sock.sendall(bytes([byte]))
            time.sleep(every)
    return behaviour


def late(delay, answer=b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"):
    def behaviour(sock):
        time.sleep(delay)
        sock.sendall(answer)
    return behaviour


def held_open(head):
    """Send ``head`` and a little body, then keep the connection open without another byte."""
    def behaviour(sock):
        sock.sendall(head + b"partial")
        time.sleep(TIMEOUT + 5)
    return behaviour


def send_all(data):
    return lambda sock: sock.sendall(data)


@pytest.mark.parametrize("behaviour", [
    trickle(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
    trickle(b"HTTP/1.1 200 OK\r\n" + b"x-slow: " + b"y" * 200 + b"\r\n\r\n", every=0.3),
    late(TIMEOUT + 2),
    held_open(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n"),
], ids=["trickled-status-line", "trickled-headers", "answer-after-the-timeout", "held-open-after-headers"])
def test_slow_receivers_end_at_the_deadline(hostile, behaviour):
    outcome, elapsed = attempt(hostile(behaviour))
    print(f"\n{outcome.error_class}: {outcome.error_message} after {elapsed:.2f} s")
    assert_one_bounded_failure(outcome, elapsed)
    assert outcome.error_class == "DeadlineExceeded"  # the watchdog, not a read timeout, ended it


def test_read_until_close_held_open_ends_at_the_deadline(hostile):
    """No length and no chunking: the body ends when the receiver closes, which it never does."""
    outcome, elapsed = attempt(hostile(held_open(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n")))
    assert elapsed <= TIMEOUT + SLACK, f"the attempt took {elapsed:.2f} s with a {TIMEOUT} s timeout"
    assert len(outcome.body) <= BODY_LIMIT


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nthis line is not a header\r\n\r\n",
    b"HTTP/1.1 two-hundred OK\r\ncontent-length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nx-long: " + b"z" * 70_000 + b"\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"".join(b"x-h%d: v\r\n" % n for n in range(150)) + b"\r\n",
    b"HTTP/1.1 200 OK\r\ncontent-length: banana\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n",
    b"\x00\xff\x16\x03\x01" * 200,
    b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 20\r\n\r\nthis is not gzip....",
], ids=["header-without-colon", "non-numeric-status", "70kB-header-line", "150-headers", "bad-content-length",
        "bad-chunk-size", "binary-garbage", "false-gzip"])
def test_malformed_answers_cost_one_bounded_attempt(hostile, answer):
    outcome, elapsed = attempt(hostile(send_all(answer)))
    assert elapsed <= TIMEOUT + SLACK
    assert len(outcome.body) <= BODY_LIMIT
    assert "\x00" not in outcome.body + str(outcome.headers)
    if not outcome.succeeded:
        assert outcome.error_class and outcome.error_message


def test_threads_that_first_send_at_once_share_one_watchdog(monkeypatch):
    """Found by the real-worker test below: a freshly started worker process sends on many threads at
    once; two watchdogs meant an attempt armed on one and disarmed on the other, so a socket was shut at
    a deadline that no longer applied and the attempt logged a ConnectionError, not DeadlineExceeded."""
    monkeypatch.setattr(deadlines, "_watchdog", None)
    barrier = threading.Barrier(8)
    seen = []

    def first_use():
        barrier.wait()
        seen.append(deadlines.watchdog())

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(dog) for dog in seen}) == 1


def rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


class PeakRss:
    """The highest resident size seen while the block runs (sampled every 5 ms): of this process, or
    whatever ``measure()`` returns (e.g. a worker's ``group_rss``)."""

    def __init__(self, measure=rss_bytes):
        self.measure = measure

    def __enter__(self):
        self.before = self.peak = self.measure()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._done.wait(0.005):
            try:
                self.peak = max(self.peak, self.measure())
            except OSError:  # a worker's pool child exited between listing and reading
                pass

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self.growth = self.peak - self.before


def full_speed(head, total, chunk=b"A" * MB):
    """``head``, then ``total`` bytes as fast as the socket takes them; returns how much went out."""
    offered = {"bytes": 0}

    def behaviour(sock):
        sock.sendall(head)
        while offered["bytes"] < total:
            sock.sendall(chunk)
            offered["bytes"] += len(chunk)
    return behaviour, offered


def gzip_bomb(decompressed):
    """A gzip body that inflates to ``decompressed`` bytes (about 1000:1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MB)
    parts = [compressor.compress(zeros) for _ in range(decompressed // MB)]
    return b"".join(parts) + compressor.flush()


def test_hundreds_of_megabytes_at_full_speed_store_20kb_and_use_no_memory(hostile):
    total = 300 * MB
    behaviour, offered = full_speed(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % total, total)
    url = hostile(behaviour)
    attempt(url)  # warm up: imports, the session, its pool
    with PeakRss() as memory:
        outcome, elapsed = attempt(url)
    print(f"\n[huge body] offered {total // MB} MB ({offered['bytes'] // MB} MB pushed before our close), "
          f"stored {len(outcome.body)} bytes, "
          f"RSS growth {memory.growth / 1024:.0f} kB, {elapsed:.2f} s")
    assert outcome.succeeded and len(outcome.body) == BODY_LIMIT
    assert elapsed <= TIMEOUT + SLACK
    assert memory.growth < 8 * MB


def gzipped(data):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize("status, encoding", [
    (b"200 OK", b"gzip"), (b"302 Found", b"gzip"), (b"301 Moved Permanently", b"gzip, gzip"),
    (b"500 Internal Server Error", b"gzip, gzip"),
])
def test_a_gzip_bomb_is_not_inflated(hostile, status, encoding):
    """C1: in any answer (a redirect's too, which requests used to read whole), chained or not."""
    bomb = gzip_bomb(200 * MB)
    assert len(bomb) < MB
    if encoding == b"gzip, gzip":
        bomb = gzipped(bomb)
    head = b"HTTP/1.1 %s\r\nlocation: /x\r\ncontent-encoding: %s\r\ncontent-length: %d\r\n\r\n" % (
        status, encoding, len(bomb))
    url = hostile(send_all(head + bomb))
    attempt(url)
    with PeakRss() as memory:
        outcome, elapsed = attempt(url)
    print(f"\n[gzip bomb] {len(bomb) // 1024} kB inflating to 200 MB, stored {len(outcome.body)} bytes, "
          f"RSS growth {memory.growth / 1024:.0f} kB, {elapsed:.2f} s")
    assert outcome.status == int(status[:3])
    assert outcome.body == "\ufffd" * BODY_LIMIT  # inflated zeros, cut at the limit
    assert elapsed <= TIMEOUT + SLACK
    assert memory.growth < 8 * MB


def group_rss(pid):
    """Resident bytes of a worker: its main process and every pool child."""
    pids = [pid, *(int(child) for child in open(f"/proc/{pid}/task/{pid}/children").read().split())]
    total = 0
    for member in pids:
        with open(f"/proc/{member}/statm") as statm:
            total += int(statm.read().split()[1]) * 4096
    return total


@pytest.mark.e2e
def test_through_a_real_worker_each_hostile_try_is_one_bounded_attempt(live_worker, receiver, hostile):
    """The worker's own timeout (tests/worker.py: 3 s), its retry schedule (4 tries), its memory."""
    ensure_event_type("hostile.tick")
    healthy = create_endpoint("org_hostile", url=receiver.url("/healthy"))
    publish("hostile.tick", {"warm": True}, tenant="org_hostile")
    receiver.wait_for(1, "/healthy")
    rss_before = group_rss(live_worker.process.pid)
    behaviour, _ = full_speed(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % (300 * MB), 300 * MB)
    trickler = create_endpoint("org_hostile", url=hostile(trickle(b"HTTP/1.1 200 OK\r\n" * 20)))
    huge = create_endpoint("org_hostile", url=hostile(behaviour))
    garbage = create_endpoint("org_hostile", url=hostile(send_all(b"\x00\xff" * 5000)))
    events = 10
    for n in range(events):
        publish("hostile.tick", {"n": n}, tenant="org_hostile")

    receiver.wait_for(events + 1, "/healthy", timeout=60)
    wait_until(lambda: Delivery.objects.filter(endpoint__in=[trickler, garbage], status="failed").count()
               == 2 * events, timeout=120, what="the hostile endpoints' deliveries exhausted")
    rss_growth = group_rss(live_worker.process.pid) - rss_before

    tries = 1 + len(TEST_ENV["WEBHOOKS_RETRY_SCHEDULE"].split(","))
    slow = Attempt.objects.filter(endpoint=trickler)
    longest = max(slow.values_list("duration_ms", flat=True))
    print(f"\n[real worker] trickler: {slow.count()} attempts, longest {longest} ms; "
          f"huge: {Attempt.objects.filter(endpoint=huge).count()} attempts; worker RSS growth "
          f"{rss_growth / MB:.1f} MB")
    assert slow.count() == events * tries
    assert set(slow.values_list("error_class", flat=True)) == {"DeadlineExceeded"}, list(
        slow.exclude(error_class="DeadlineExceeded").values_list("error_class", "error_message", "duration_ms"))
    assert longest <= (3 + SLACK) * 1000
    assert Attempt.objects.filter(endpoint=garbage).count() == events * tries
    assert all(len(body) == BODY_LIMIT for body in Attempt.objects.filter(endpoint=huge)
               .values_list("response_body", flat=True))
    assert Delivery.objects.filter(endpoint=healthy, status="succeeded").count() == events + 1
    assert rss_growth < 30 * MB
