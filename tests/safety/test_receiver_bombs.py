"""Receivers that attack the worker's memory and its attempt log, through a real worker process.

Each test starts hostile raw receivers on 127.0.0.1, lets the shared real
worker (tests/worker.py) send to them, and checks what the attempt log kept
and how far the worker's resident memory (main process and pool children,
read from /proc) rose above its level before the hostile answers.
"""

import itertools

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from delivery import publish
from delivery.header_caps import CUT_KEY, MAX_HEADERS, MAX_TOTAL_BYTES
from delivery.models import Attempt, Delivery
from subscriptions import create_endpoint, ensure_event_type
from subscriptions.api_keys import create_api_key
from tests.receiver import RawServer
from tests.safety.test_hostile_receivers import BODY_LIMIT, MB, PeakRss, group_rss, gzip_bomb, gzipped, send_all
from tests.worker import TEST_ENV, wait_until

RSS_ALLOWANCE = 50 * MB
TRIES = 1 + len(TEST_ENV["WEBHOOKS_RETRY_SCHEDULE"].split(","))


@pytest.fixture
def raw_servers():
    """``raw_servers(behaviour)`` starts a raw receiver on 127.0.0.1 and returns it."""
    servers = []

    def start(behaviour):
        servers.append(RawServer(behaviour).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def worker_peak_rss(worker):
    """The highest resident size of a worker (all its processes) seen while the block runs."""
    return PeakRss(lambda: group_rss(worker.process.pid))


def warm_up(tenant, receiver):
    """One delivery first, so that the worker's imports, session and pools are in its baseline."""
    ensure_event_type("hostile.tick")
    create_endpoint(tenant, url=receiver.url(f"/warm-{tenant}"))
    publish("hostile.tick", {"warm": True}, tenant=tenant)
    receiver.wait_for(1, f"/warm-{tenant}")


def wait_all_finished(endpoints, count, timeout=120):
    wait_until(lambda: Delivery.objects.filter(endpoint__in=endpoints, status__in=["failed", "succeeded"]).count()
               == count, timeout=timeout, what="every hostile delivery finished")


def bomb_answer(status, encoding, body):
    """The raw server closes after each answer, so it says so: without ``connection: close`` a body read
    to its end (the tiny chained bomb) puts the connection back in the worker's pool, and the next
    delivery to it could be sent before the server's close arrives and be reset (a failed attempt, as it
    should be, but not what this test is about)."""
    return (b"HTTP/1.1 %s\r\nlocation: /elsewhere\r\ncontent-encoding: %s\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % (status, encoding, len(body))) + body


@pytest.mark.e2e
def test_compression_bombs_in_any_answer_are_cut_at_the_limit(live_worker, receiver, raw_servers):
    """C1: a 100 MB gzip bomb (and a chained ``gzip, gzip`` one) in a 302, 200, 400 or 500 answer is
    read and inflated only up to the response limit, and recorded as what it is: its status, its
    headers and the first 20 kB of the inflated body. The old code inflated every 3xx body whole
    (requests' redirect resolution) and logged it as empty."""
    warm_up("org_bombs", receiver)
    bomb = gzip_bomb(100 * MB)
    cases = [(b"302 Found", b"gzip", bomb), (b"302 Found", b"gzip, gzip", gzipped(bomb)),
             (b"200 OK", b"gzip", bomb), (b"400 Bad Request", b"gzip, gzip", gzipped(bomb)),
             (b"500 Internal Server Error", b"gzip", bomb)]
    endpoints = {create_endpoint("org_bombs", url=raw_servers(send_all(bomb_answer(*case))).url()): case
                 for case in cases}
    events = 3
    with worker_peak_rss(live_worker) as memory:
        for n in range(events):
            publish("hostile.tick", {"n": n}, tenant="org_bombs")
        wait_all_finished(endpoints, events * len(cases))
    print(f"\n[bombs] worker RSS {memory.before / MB:.0f} MB, peak growth {memory.growth / MB:.1f} MB")

    for endpoint, (status, encoding, _) in endpoints.items():
        attempts = Attempt.objects.filter(endpoint=endpoint)
        assert attempts.count() == events * (1 if status.startswith(b"2") else TRIES)
        for attempt in attempts:
            assert attempt.response_status == int(status[:3]), (attempt.error_class, attempt.error_message)
            assert attempt.response_headers["content-encoding"] == encoding.decode()
            assert attempt.response_body == "\ufffd" * BODY_LIMIT  # inflated zeros, cut at the limit
    assert memory.growth < RSS_ALLOWANCE


def cookie_thrower(size=30_000):
    """Answers 200 with 97 big ``Set-Cookie`` headers (with two more, as many as http.client takes),
    new names on every answer, some with a Domain."""
    answers = itertools.count()

    def behaviour(sock):
        n = next(answers)
        cookies = b"".join(b"set-cookie: c%d_%d=%s; Path=/%s\r\n"
                           % (n, i, b"v" * size, b"; Domain=127.0.0.1" if i % 3 == 0 else b"")
                           for i in range(97))
        sock.sendall(b"HTTP/1.1 200 OK\r\n" + cookies + b"content-length: 0\r\nconnection: close\r\n\r\n")
    return behaviour


@pytest.mark.e2e
def test_cookies_never_travel_and_never_pile_up(live_worker, receiver, raw_servers):
    """H1: receiver A of one tenant answers many times with 97 big cookies each; later webhooks of
    another tenant to receiver B (same host, another port) and of the same tenant to A carry no
    Cookie header, and the worker keeps none of them in memory."""
    warm_up("org_victim", receiver)
    thrower = raw_servers(cookie_thrower())
    ensure_event_type("hostile.tick")
    thrower_endpoint = create_endpoint("org_cookies", url=thrower.url())
    with worker_peak_rss(live_worker) as memory:
        for n in range(20):
            publish("hostile.tick", {"n": n}, tenant="org_cookies")
        wait_until(lambda: Delivery.objects.filter(endpoint=thrower_endpoint, status="succeeded").count() == 20,
                   timeout=60, what="the cookie thrower's 20 deliveries")
        for n in range(5):
            publish("hostile.tick", {"n": n}, tenant="org_victim")
            publish("hostile.tick", {"again": n}, tenant="org_cookies")
        receiver.wait_for(6, "/warm-org_victim")
        wait_until(lambda: len(thrower.requests) >= 25, what="the thrower's second round")
    print(f"\n[cookies] worker RSS {memory.before / MB:.0f} MB, peak growth {memory.growth / MB:.1f} MB")

    assert all("cookie" not in got.headers for got in receiver.requests)
    assert all(b"\r\ncookie:" not in head.lower() for head, _ in thrower.requests)
    assert memory.growth < RSS_ALLOWANCE


def header_flood(behaviour_status=b"500 Internal Server Error"):
    """98 headers of 60 kB each (about 6 MB), which http.client accepts."""
    headers = b"".join(b"x-big-%d: %s\r\n" % (i, b"h" * 60_000) for i in range(98))
    return send_all(b"HTTP/1.1 %s\r\n%scontent-length: 4\r\n\r\nboom" % (behaviour_status, headers))


def stored_size(headers):
    return sum(len(k.encode()) + len(v.encode()) for k, v in headers.items() if k != CUT_KEY)


def api_client():
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_api_key(name='platform')[1]}")
    return client


@pytest.mark.e2e
def test_a_header_flood_is_stored_capped_and_pages_stay_small(live_worker, raw_servers, admin_client):
    """M3: a receiver answering with 98 headers of 60 kB: each attempt keeps at most 50 headers and
    4 kB, saying that more was cut; the API delivery detail and the admin delivery page stay small
    even for a delivery with many attempts stored before the cap, and every attempt stays listed."""
    ensure_event_type("hostile.tick")
    endpoint = create_endpoint("org_headers", url=raw_servers(header_flood()).url())
    publish("hostile.tick", {"n": 1}, tenant="org_headers")
    wait_all_finished([endpoint], 1)

    attempts = list(Attempt.objects.filter(endpoint=endpoint))
    assert len(attempts) == TRIES
    for attempt in attempts:
        assert attempt.response_status == 500 and attempt.response_body == "boom"
        assert len(attempt.response_headers) <= MAX_HEADERS + 1
        assert stored_size(attempt.response_headers) <= MAX_TOTAL_BYTES
        assert "not kept" in attempt.response_headers[CUT_KEY]

    delivery = attempts[0].delivery
    legacy = {f"x-big-{i}": "h" * 20_000 for i in range(10)}  # as rows stored before the cap look
    Attempt.objects.bulk_create([Attempt(delivery=delivery, endpoint=endpoint, started_at=a.started_at,
                                         duration_ms=1, succeeded=False, request_url=a.request_url,
                                         response_status=500, response_headers=legacy, response_body="boom")
                                 for a in attempts * 10])
    client = api_client()
    detail = client.get(f"/api/v1/tenants/org_headers/deliveries/{delivery.pk}/")
    page = admin_client.get(reverse("admin:hookplatform_delivery_delivery_change", args=[delivery.pk]))
    print(f"\n[headers] API detail {len(detail.content) // 1024} kB, admin page {len(page.content) // 1024} kB")
    assert detail.status_code == 200 and page.status_code == 200
    assert len(detail.content) < 512 * 1024 and len(page.content) < 1024 * 1024

    listed, url = 0, detail.json()["attempts_url"]
    while url:
        body = client.get(url).json()
        listed += len(body["results"])
        assert all(stored_size(a["response_headers"]) <= MAX_TOTAL_BYTES for a in body["results"])
        url = body["next"]
    assert listed == Attempt.objects.filter(delivery=delivery).count() == TRIES * 11
