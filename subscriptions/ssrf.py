"""Which URLs the platform may send to.

Strangers type these URLs in; unless ``WEBHOOKS_ALLOW_PRIVATE_NETWORKS`` is on,
no address inside the host's own network (loopback, private, link-local,
cloud metadata, ...) may be a target.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from delivery import conf

NAT64 = ipaddress.ip_network("64:ff9b::/96")
EXTRA_BLOCKED = [
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("198.18.0.0/15"),
    ipaddress.ip_network("fd00:ec2::/32"),  # AWS metadata over IPv6
]


def is_public_address(address):
    """True when ``address`` (an ip_address) is a plain public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return is_public_address(address.ipv4_mapped)
        if address in NAT64:
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour:
            return is_public_address(address.sixtofour)
    if any(address in net for net in EXTRA_BLOCKED):
        return False
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_loopback
        or address.is_link_local or address.is_private or address.is_unspecified
    )


def resolve(host, port):
    """Every address ``host`` resolves to, as ip_address objects."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(f"The host {host!r} does not resolve: {exc}.", code="unresolvable")
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_url(url, *, resolve_host=True):
    """Raise ``ValidationError`` unless ``url`` is an allowed webhook target."""
    settings = conf.get()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"Not a valid URL: {exc}.", code="invalid_url")
    allowed = ("https",) if settings.require_https else ("https", "http")
    if parts.scheme not in allowed:
        raise ValidationError(f"The URL scheme must be {' or '.join(allowed)}.", code="invalid_scheme")
    if not parts.hostname:
        raise ValidationError("The URL has no host.", code="invalid_url")
    if settings.allow_private_networks or not resolve_host:
        return
    port = port or (443 if parts.scheme == "https" else 80)
    for address in resolve(parts.hostname, port):
        if not is_public_address(address):
            raise ValidationError(
                f"The URL's host resolves to {address}, which is not a public address.",
                code="private_address",
            )


def vetted_address(url):
    """The address to connect to for ``url``, after checking every address its host resolves to.

    The sender connects to exactly this address, so a DNS answer that changes
    between the check and the connection (DNS rebinding) cannot redirect it.
    Raises ``ValidationError`` for a refused or unresolvable target.
    """
    check_url(url, resolve_host=False)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(parts.hostname, port)
    if not conf.get().allow_private_networks:
        for address in addresses:
            if not is_public_address(address):
                raise ValidationError(
                    f"The URL's host resolves to {address}, which is not a public address.",
                    code="private_address",
                )
    return str(addresses[0])
