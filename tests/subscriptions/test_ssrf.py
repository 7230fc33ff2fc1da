"""Which addresses a webhook may go to; the resolver is stubbed, nothing leaves the machine."""

import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError

from subscriptions import resolver, ssrf


@pytest.fixture(autouse=True)
def private_networks_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    resolver.clear_cache()  # each test stubs its own answers
    yield
    resolver.clear_cache()


def ip(text):
    return ipaddress.ip_address(text)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.255.255.254", "::1",                    # loopback
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "fc00::1", "fd12:3456::1",  # private
    "169.254.1.1", "fe80::1",                                 # link-local
    "169.254.169.254", "fd00:ec2::254",                       # cloud metadata
    "100.64.0.1", "198.18.0.1", "192.0.0.8",                  # carrier-grade NAT, benchmarking
    "0.0.0.0", "::",                                          # unspecified
    "224.0.0.1", "239.255.255.250", "ff02::1",                # multicast
    "240.0.0.1", "255.255.255.255",                           # reserved, broadcast
    "192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1",  # documentation
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",  # IPv4-mapped IPv6
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1",        # NAT64 of private ones
    "2002:7f00:1::1", "2002:a9fe:a9fe::1",                    # 6to4 of private ones
    "fec0::1", "feff::1",                                     # L6: deprecated site-local
    "3fff::1", "3fff:fff::1",                                 # L6: documentation (RFC 9637)
    "64:ff9b:1::a00:1", "64:ff9b:1::808:808",                 # local-use NAT64
    "2001::1", "2001:2::1", "2001:10::1", "100::1",           # Teredo, benchmarking, ORCHID, discard
])
def test_not_public(address):
    assert ssrf.is_public_address(ip(address)) is False


@pytest.mark.parametrize("address", [
    "93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111",
    "::ffff:93.184.216.34", "64:ff9b::808:808", "2002:808:808::1",
])
def test_public(address):
    assert ssrf.is_public_address(ip(address)) is True


def stub_resolver(monkeypatch, answers):
    """``getaddrinfo`` answering from ``answers`` (host -> addresses), recording what was asked."""
    asked = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        asked.append((host, port))
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port, 0, 0) if ":" in a else (a, port)) for a in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_public_host_is_allowed(monkeypatch):
    asked = stub_resolver(monkeypatch, {"hooks.example.com": ["93.184.216.34", "2606:2800:220:1::1"]})
    ssrf.check_url("https://hooks.example.com/in")
    assert asked == [("hooks.example.com", 443)]


def test_port_comes_from_the_url(monkeypatch):
    asked = stub_resolver(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    ssrf.check_url("http://hooks.example.com:8080/in")
    ssrf.check_url("http://hooks.example.com/in")
    assert asked == [("hooks.example.com", 8080), ("hooks.example.com", 80)]


@pytest.mark.parametrize("url, answers", [
    ("http://localhost/", {"localhost": ["127.0.0.1", "::1"]}),
    ("http://metadata.internal/", {"metadata.internal": ["169.254.169.254"]}),
    ("http://[::ffff:127.0.0.1]/", {"::ffff:127.0.0.1": ["::ffff:127.0.0.1"]}),
    ("http://[64:ff9b::a9fe:a9fe]/", {"64:ff9b::a9fe:a9fe": ["64:ff9b::a9fe:a9fe"]}),
    ("http://[::]/", {"::": ["::"]}),
    ("http://0.0.0.0/", {"0.0.0.0": ["0.0.0.0"]}),
    ("http://224.0.0.1/", {"224.0.0.1": ["224.0.0.1"]}),
    # Odd spellings of an IP: the C resolver reads them as numbers, and we check what it returns.
    ("http://2130706433/", {"2130706433": ["127.0.0.1"]}),        # decimal
    ("http://0177.0.0.1/", {"0177.0.0.1": ["127.0.0.1"]}),        # octal
    ("http://0x7f.0.0.1/", {"0x7f.0.0.1": ["127.0.0.1"]}),        # hex
    ("http://0xa9fea9fe/", {"0xa9fea9fe": ["169.254.169.254"]}),  # hex, whole
    ("http://127.1/", {"127.1": ["127.0.0.1"]}),                  # short form
    ("http://10.1/", {"10.1": ["10.0.0.1"]}),
])
def test_private_targets_are_refused(monkeypatch, url, answers):
    stub_resolver(monkeypatch, answers)
    with pytest.raises(ValidationError, match="not resolve to a public address"):
        ssrf.check_url(url)


def test_one_private_address_among_public_ones_is_enough_to_refuse(monkeypatch):
    stub_resolver(monkeypatch, {"rebind.example": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(ValidationError, match="public address") as refused:
        ssrf.check_url("https://rebind.example/")
    assert "10.0.0.7" not in str(refused.value)  # L6: the private address is not revealed


def test_scoped_ipv6_addresses_are_checked(monkeypatch):
    stub_resolver(monkeypatch, {"scoped.example": ["fe80::1%eth0"]})
    with pytest.raises(ValidationError, match="public address") as refused:
        ssrf.check_url("https://scoped.example/")
    assert "fe80" not in str(refused.value)


def test_unresolvable_and_private_hosts_are_refused_alike(monkeypatch):
    """L6: one message for "no such name" and "an internal name", so no internal DNS reconnaissance."""
    stub_resolver(monkeypatch, {"db.internal": ["172.18.0.2"]})
    messages = []
    for url in ("https://nowhere.invalid/", "https://db.internal/"):
        with pytest.raises(ValidationError) as refused:
            ssrf.check_url(url)
        messages.append((refused.value.messages, refused.value.code))
    assert messages[0] == messages[1]
    assert "172.18" not in str(messages)


def test_the_real_resolver_reads_odd_spellings_as_loopback():
    """No stub: glibc turns these spellings into 127.0.0.1 without any network lookup."""
    for host in ("2130706433", "0x7f000001", "0177.0.0.1", "127.1"):
        assert ip("127.0.0.1") in ssrf.resolve(host, 80)
        with pytest.raises(ValidationError):
            ssrf.check_url(f"http://{host}/")


@pytest.mark.parametrize("url, message", [
    ("ftp://example.com/", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://example.com/", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("http:///nohost", "no host"),
    ("http://example.com:99999/", "Not a valid URL"),
    ("http://[::1/", "Not a valid URL"),
])
def test_malformed_urls(monkeypatch, url, message):
    stub_resolver(monkeypatch, {"example.com": ["93.184.216.34"]})
    with pytest.raises(ValidationError, match=message):
        ssrf.check_url(url)


def test_https_may_be_required(monkeypatch, settings):
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    stub_resolver(monkeypatch, {"example.com": ["93.184.216.34"]})
    ssrf.check_url("https://example.com/")
    with pytest.raises(ValidationError, match="must be https"):
        ssrf.check_url("http://example.com/")


def test_private_networks_may_be_allowed(monkeypatch, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    asked = stub_resolver(monkeypatch, {})
    ssrf.check_url("http://127.0.0.1:8000/hook")
    assert asked == []


@pytest.mark.parametrize("port", [25, 22, 6379, 2375, 5432, 11211, 10250, 1023])
def test_dangerous_and_privileged_ports_are_refused(monkeypatch, port):
    """L6: no cross-protocol POST to SMTP, SSH, Redis, the Docker API, ..."""
    stub_resolver(monkeypatch, {"example.com": ["93.184.216.34"]})
    with pytest.raises(ValidationError, match=f"port {port} is not allowed"):
        ssrf.check_url(f"http://example.com:{port}/")


@pytest.mark.parametrize("port", [80, 443, 8080, 8443, 3000, 32768, 60999, 65535])
def test_web_and_unprivileged_ports_are_allowed(monkeypatch, port):
    stub_resolver(monkeypatch, {"example.com": ["93.184.216.34"]})
    ssrf.check_url(f"http://example.com:{port}/")


def test_allowed_ports_is_a_setting(monkeypatch, settings):
    settings.WEBHOOKS_ALLOWED_PORTS = "443, 8000-8100"
    stub_resolver(monkeypatch, {"example.com": ["93.184.216.34"]})
    ssrf.check_url("https://example.com/")
    ssrf.check_url("http://example.com:8050/")
    for url in ("http://example.com/", "http://example.com:9000/"):
        with pytest.raises(ValidationError, match="not allowed"):
            ssrf.check_url(url)


def test_ports_are_free_when_private_networks_are_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    ssrf.check_url("http://127.0.0.1:9/hook")


def test_create_endpoint_refusing_a_local_receiver_names_the_setting(db):
    """A developer trying a receiver on 127.0.0.1 learns what to turn on (as the listener's error says)."""
    from subscriptions import create_endpoint

    with pytest.raises(ValidationError) as refused:
        create_endpoint("acme", url="http://127.0.0.1:8765/hook")
    assert "WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True" in refused.value.message_dict["url"][0]
