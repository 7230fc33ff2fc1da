"""One-time links into a tenant's portal: made for the host's own frontend, opened once by a browser
(the portal's page POSTs the token: a GET never redeems it, see delivery.portal.entry).

Only the SHA-256 of a link's token is stored: a leaked table opens nothing.
Redeeming is one conditional UPDATE, so of two browsers opening the same
link at once exactly one gets in.
"""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from subscriptions import conf
from subscriptions.models import PortalLink
from subscriptions.tenants import resolve_tenant

TOKEN_PREFIX = "hpl_"
MAX_EXPIRES_IN = 24 * 3600
REFUSED = "This link is used, expired or unknown: ask for a new one."


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _validate_expires_in(expires_in):
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or not 1 <= expires_in <= MAX_EXPIRES_IN:
        raise ValidationError({"expires_in": [f"A whole number of seconds from 1 to {MAX_EXPIRES_IN}."]})


def create_portal_link(tenant, *, read_only=False, expires_in=None):
    """``(link, token)``: a link that works once, for ``expires_in`` seconds (``WEBHOOKS_PORTAL_LINK_AGE``).

    The token is shown this once; the caller builds the URL from it.  Links
    that can open nothing any more are deleted on the way (an indexed range).
    """
    if expires_in is not None:
        _validate_expires_in(expires_in)
    purge_portal_links()
    seconds = expires_in if expires_in is not None else conf.get().portal_link_age
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    link = PortalLink.objects.create(tenant=resolve_tenant(tenant), token_hash=token_hash(token),
                                     read_only=bool(read_only),
                                     expires_at=timezone.now() + timedelta(seconds=seconds))
    return link, token


def redeem_portal_link(token):
    """The link ``token`` opens, marked used; ``ValidationError`` when used, expired or unknown."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise ValidationError(REFUSED, code="invalid_link")
    digest, now = token_hash(token), timezone.now()
    won = PortalLink.objects.filter(token_hash=digest, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not won:
        raise ValidationError(REFUSED, code="invalid_link")
    return PortalLink.objects.select_related("tenant").get(token_hash=digest)


def purge_portal_links(now=None):
    """Delete links that can no longer open anything; returns how many."""
    return PortalLink.objects.filter(expires_at__lte=now or timezone.now()).delete()[0]
