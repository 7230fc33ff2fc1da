"""Bounded, cached DNS (L7, M7): a slow or failing name server costs a caller its timeout once, then nothing."""

import socket
import threading
import time

import pytest
from rest_framework.test import APIClient

from delivery import http_client, wire
from subscriptions import resolver
from subscriptions.api_keys import create_api_key
from subscriptions.tenants import create_tenant


@pytest.fixture(autouse=True)
def empty_cache(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    resolver.clear_cache()
    yield
    resolver.clear_cache()


def slow_getaddrinfo(delay, answer="93.184.216.34", calls=None):
    """A resolver taking ``delay`` seconds, counting its calls (the injected callable of this unit)."""
    def getaddrinfo(host, port, type=0):
        if calls is not None:
            calls.append(host)
        time.sleep(delay)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]
    return getaddrinfo


def test_a_slow_name_server_costs_at_most_the_timeout_and_its_answer_is_kept():
    """M7/L7: the caller waits its timeout, not the name server; the late answer serves the next caller."""
    calls = []
    started = time.monotonic()
    with pytest.raises(resolver.Unresolvable, match="no answer within"):
        resolver.resolve_addresses("slow.example", 443, 0.2, slow_getaddrinfo(1.0, calls=calls))
    assert time.monotonic() - started < 0.5
    with pytest.raises(resolver.Unresolvable):  # a timeout is cached as a failure meanwhile
        resolver.resolve_addresses("slow.example", 443, 0.2, slow_getaddrinfo(1.0, calls=calls))
    time.sleep(1.0)
    addresses = resolver.resolve_addresses("slow.example", 443, 0.2, slow_getaddrinfo(1.0, calls=calls))
    assert [str(a) for a in addresses] == ["93.184.216.34"]
    assert calls == ["slow.example"]  # one lookup for all three callers


def test_concurrent_callers_of_one_name_share_one_lookup():
    calls, results = [], []
    lookup = slow_getaddrinfo(0.3, calls=calls)
    threads = [threading.Thread(target=lambda: results.append(
        resolver.resolve_addresses("shared.example", 443, 2, lookup))) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(results) == 20 and calls == ["shared.example"]


def test_the_dns_timeout_setting_caps_every_wait(settings):
    settings.WEBHOOKS_DNS_TIMEOUT = 0.1
    started = time.monotonic()
    with pytest.raises(resolver.Unresolvable):
        resolver.resolve_addresses("slow.example", 443, 30, slow_getaddrinfo(1.0))
    assert time.monotonic() - started < 0.4


@pytest.fixture
def counted_lookups(monkeypatch):
    """The real ``getaddrinfo``, with each call counted."""
    calls, real = [], socket.getaddrinfo

    def counting(host, *args, **kwargs):
        calls.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    return calls


@pytest.mark.django_db
def test_an_unresolvable_name_answers_400_quickly_then_from_the_negative_cache(counted_lookups):
    """M7/L6 through the API with a tenant key: a 400 with one generic message, and no second lookup."""
    tenant = create_tenant("acme", name="Acme")
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_api_key(tenant=tenant, name='acme')[1]}")
    answers = []
    for url in ("https://nowhere.invalid/hook", "https://nowhere.invalid/hook", "https://localhost/hook"):
        started = time.monotonic()
        response = client.post("/api/v1/tenants/acme/endpoints/", {"url": url}, format="json")
        answers.append((response.status_code, response.json(), time.monotonic() - started))
    assert [status for status, _, _ in answers] == [400, 400, 400]
    assert all(seconds < 3.5 for _, _, seconds in answers)
    assert counted_lookups == ["nowhere.invalid", "localhost"]  # the second ask came from the cache
    # "no such name" and "an internal name" read the same, and no address is named.
    assert answers[0][1] == answers[2][1]
    assert "127.0.0.1" not in str(answers[2][1])


def test_the_attempt_log_names_no_private_address(receiver):
    """L6: a refused target's attempt error says neither where the name points nor whether it exists."""
    outcomes = []
    for url in (f"http://localhost:{receiver.port}/hook", f"http://nowhere.invalid:{receiver.port}/hook"):
        request = wire.Request(url=url, headers={}, body=b"{}")
        outcomes.append(http_client.post(request, timeout=3, body_limit=100))
    assert not any(outcome.succeeded for outcome in outcomes) and receiver.requests == []
    assert outcomes[0].error_message == outcomes[1].error_message
    assert "127.0.0.1" not in outcomes[0].error_message and "::1" not in outcomes[0].error_message


def test_any_error_of_the_lookup_is_a_cached_failure():
    """An odd error (not a gaierror) neither escapes as a 500 nor sticks as a lookup forever in flight."""
    def broken(host, port, type=0):
        raise ValueError("odd answer")

    for _ in range(2):
        with pytest.raises(resolver.Unresolvable, match="odd answer"):
            resolver.resolve_addresses("odd.example", 443, 1, broken)
