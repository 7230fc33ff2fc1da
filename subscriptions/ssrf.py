"""Which URLs the platform may send to.

Strangers type these URLs in; unless ``WEBHOOKS_ALLOW_PRIVATE_NETWORKS`` is on,
no address inside the host's own network (loopback, private, link-local,
cloud metadata, ...) may be a target, nor any port outside
``WEBHOOKS_ALLOWED_PORTS`` (no cross-protocol POSTs to SMTP, Redis, the
Docker API, ...).

A refusal never says why beyond "not a public address": telling "does not
resolve" from "resolves to 10.1.2.3" would let a tenant map the host's
internal DNS.  The detail goes to the server log.

Here: the URL check done when an endpoint is saved, and the address rules it
shares with the send-time check (``delivery.http_client``, which vets the
addresses again at each attempt and connects to the one it vetted).
"""

import ipaddress
import logging
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from subscriptions import conf
from subscriptions.resolver import Unresolvable, resolve_addresses

logger = logging.getLogger("subscriptions.ssrf")

NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Ranges ``is_global`` calls global that no webhook receiver has any business in.
EXTRA_BLOCKED = [
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("198.18.0.0/15"),
    ipaddress.ip_network("fd00:ec2::/32"),  # AWS metadata over IPv6
    ipaddress.ip_network("fec0::/10"),  # deprecated site-local, still routed on some internal networks
    ipaddress.ip_network("3fff::/20"),  # documentation (RFC 9637)
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
]
# The same words for a private address and for a name that does not resolve (no oracle for either);
# the setting is named so that a developer trying a receiver on 127.0.0.1 knows what to turn on.
REFUSED = ("The URL's host does not resolve to a public address (a receiver on loopback or a private "
           "network needs WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True: local tests and demos only).")


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


def resolve(host, port, timeout=None):
    """Every address ``host`` resolves to, as ip_address objects (bounded and cached, see resolver)."""
    try:
        return resolve_addresses(host, port, timeout)
    except Unresolvable as exc:
        logger.info("refused webhook host %r: %s", host, exc)
        raise ValidationError(REFUSED, code="private_address") from None


def target(url):
    """``(hostname, port)`` of an allowed URL shape; raises ``ValidationError`` otherwise."""
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
    port = port or (443 if parts.scheme == "https" else 80)
    if not settings.allow_private_networks and not any(low <= port <= high for low, high in settings.allowed_ports):
        raise ValidationError(f"The port {port} is not allowed for webhooks.", code="port_not_allowed")
    return parts.hostname, port


def vetted_addresses(host, port, timeout):
    """The addresses of ``host``, all of them public unless private networks are allowed."""
    addresses = resolve(host, port, timeout)
    if not conf.get().allow_private_networks:
        for address in addresses:
            if not is_public_address(address):
                logger.info("refused webhook host %r: it resolves to %s", host, address)
                raise ValidationError(REFUSED, code="private_address")
    return addresses


def check_url(url, *, resolve_host=True):
    """Raise ``ValidationError`` unless ``url`` is an allowed webhook target."""
    host, port = target(url)
    if conf.get().allow_private_networks or not resolve_host:
        return
    vetted_addresses(host, port, None)
