"""Property tests of the address check: every blocked range, in every spelling, is refused.

The URL tests go through the real resolver: the hosts are IP literals (in
odd spellings too), which glibc reads without any network lookup.  Every
spelling is first checked with ``inet_aton`` so none can turn into a DNS query.
"""

import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from delivery import http_client
from subscriptions import ssrf
from subscriptions.conf import DEFAULT_ALLOWED_PORTS
from tests.safety.properties import PROPERTY

# Written out from the IANA special-purpose registries, not taken from the code under test.
BLOCKED_V4 = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)]
BLOCKED_V6 = [ipaddress.ip_network(n) for n in (
    "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32", "fd00:ec2::/32",
)]
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def in_network(network):
    first, last = int(network.network_address), int(network.broadcast_address)
    return st.integers(first, last).map(type(network.network_address))


blocked_v4 = st.sampled_from(BLOCKED_V4).flatmap(in_network)
blocked_v6_native = st.sampled_from(BLOCKED_V6).flatmap(in_network)
any_v4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)


def mapped(v4):
    return ipaddress.IPv6Address(0xFFFF00000000 | int(v4))


def nat64(v4):
    return ipaddress.IPv6Address(int(NAT64.network_address) | int(v4))


def sixtofour(v4, tail):
    return ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80) | tail)


blocked_v6 = st.one_of(
    blocked_v6_native,
    blocked_v4.map(mapped),
    blocked_v4.map(nat64),
    st.builds(sixtofour, blocked_v4, st.integers(0, 2**80 - 1)),
)


@PROPERTY
@given(address=blocked_v4)
def test_blocked_ipv4_is_not_public(tried, address):
    tried()
    assert ssrf.is_public_address(address) is False


@PROPERTY
@given(address=blocked_v6)
def test_blocked_ipv6_is_not_public_including_mapped_nat64_and_6to4(tried, address):
    tried()
    assert ssrf.is_public_address(address) is False


@PROPERTY
@given(address=any_v4)
def test_mapped_and_nat64_forms_are_judged_like_the_ipv4_inside(tried, address):
    tried()
    verdict = ssrf.is_public_address(address)
    assert ssrf.is_public_address(mapped(address)) is verdict
    assert ssrf.is_public_address(nat64(address)) is verdict
    if verdict:
        assert not any(address in network for network in BLOCKED_V4)


def _part(value, style):
    return {"dec": str(value), "oct": "0" + format(value, "o"), "hex": "0x" + format(value, "x"),
            "HEX": "0X" + format(value, "X")}[style]


@st.composite
def odd_spelling(draw, address):
    """``address`` as inet_aton reads it: 1 to 4 parts, each decimal, octal or hex."""
    number = int(address)
    count = draw(st.integers(1, 4))
    octets = [(number >> shift) & 0xFF for shift in (24, 16, 8, 0)]
    parts = octets[:count - 1] + [number & (2 ** (8 * (5 - count)) - 1)]
    styles = draw(st.lists(st.sampled_from(["dec", "oct", "hex", "HEX"]), min_size=count, max_size=count))
    return ".".join(_part(value, style) for value, style in zip(parts, styles))


spelled_blocked_v4 = blocked_v4.flatmap(lambda a: st.tuples(st.just(a), odd_spelling(a)))


def assert_refused_as_private(url):
    """Refused when an endpoint is saved and again at send time."""
    with pytest.raises(ValidationError) as refused:
        ssrf.check_url(url)
    assert refused.value.code == "private_address"
    with pytest.raises(ValidationError):
        http_client.vetted_address(url)


@pytest.fixture
def private_networks_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False


# Ports refused on their own (L6) would hide what this property is about: the address.
ALLOWED_PORTS = st.one_of(*(st.integers(low, high) for low, high in DEFAULT_ALLOWED_PORTS))


@PROPERTY
@example(case=(ipaddress.IPv4Address("127.0.0.1"), "2130706433"), scheme="http", port=None)
@example(case=(ipaddress.IPv4Address("127.0.0.1"), "0177.0.0.1"), scheme="http", port=None)
@example(case=(ipaddress.IPv4Address("127.0.0.1"), "0x7f000001"), scheme="http", port=None)
@example(case=(ipaddress.IPv4Address("127.0.0.1"), "127.1"), scheme="http", port=None)
@example(case=(ipaddress.IPv4Address("169.254.169.254"), "0xa9.0xfe.0xa9fe"), scheme="http", port=None)
@given(case=spelled_blocked_v4, scheme=st.sampled_from(["http", "https"]), port=st.none() | ALLOWED_PORTS)
def test_odd_spellings_of_blocked_ipv4_are_refused_by_the_real_resolver(tried, private_networks_refused, case,
                                                                        scheme, port):
    address, spelling = case
    assert socket.inet_aton(spelling) == address.packed, "a spelling the resolver would not read as an IP"
    tried()
    url = f"{scheme}://{spelling}{f':{port}' if port else ''}/hook"
    assert address in ssrf.resolve(spelling, port or 80)
    assert_refused_as_private(url)


@PROPERTY
@given(address=blocked_v6, scheme=st.sampled_from(["http", "https"]))
def test_blocked_ipv6_literals_are_refused_by_the_real_resolver(tried, private_networks_refused, address, scheme):
    tried()
    url = f"{scheme}://[{address}]/hook"
    assert_refused_as_private(url)


@PROPERTY
@given(scheme=st.text(min_size=1, max_size=8, alphabet="abcdefghijklmnopqrstuvwxyz+-.").filter(
    lambda s: s not in ("http", "https") and s[0].isalpha()))
def test_schemes_other_than_http_and_https_are_refused(tried, private_networks_refused, scheme):
    tried()
    with pytest.raises(ValidationError):
        ssrf.check_url(f"{scheme}://93.184.216.34/hook")
