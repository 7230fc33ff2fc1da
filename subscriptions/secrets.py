"""Endpoint signing secrets: generating, validating, revealing, rotating.

Secrets are stored encrypted; ``reveal_secret`` and ``active_secrets`` are
the only calls that decrypt them.  At most two secrets sign at any time:
the current one and, for its grace period, the one it replaced.
"""

import base64
import binascii
import math
import os
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from subscriptions import conf, encryption
from subscriptions.models import Endpoint, EndpointSecret, SecretAccess

PREFIX = "whsec_"
MIN_BYTES, MAX_BYTES = 24, 64
PYTHON_ACTOR = "python"
ROTATION_WINDOW = timedelta(hours=1)


class RotationRateLimited(ValidationError):
    """Too many rotations of one endpoint's secret within the hour; ``retry_after`` is in seconds."""

    def __init__(self, retry_after, limit):
        self.retry_after = retry_after
        super().__init__(f"At most {limit} rotations of an endpoint's secret per hour: try again in "
                         f"{retry_after} s.", code="rotation_rate_limited")


def generate_secret():
    """``whsec_`` and the base64 of 32 random bytes (the contract allows 24 to 64)."""
    return PREFIX + base64.b64encode(os.urandom(32)).decode()


def secret_bytes(secret):
    """The HMAC key a ``whsec_`` secret stands for."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def validate_secret(secret):
    """A secret given by a caller: ``whsec_`` and strict base64 of 24 to 64 bytes (an empty or weak
    HMAC key would make every signature forgeable)."""
    message = (f"A secret is '{PREFIX}' followed by the base64 of {MIN_BYTES} to {MAX_BYTES} random bytes.")
    if not isinstance(secret, str) or not secret.startswith(PREFIX) or len(secret) > 200:
        raise ValidationError(message, code="invalid_secret")
    try:
        key = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(message, code="invalid_secret") from None
    if not MIN_BYTES <= len(key) <= MAX_BYTES:
        raise ValidationError(message, code="invalid_secret")


def new_secret_row(endpoint, secret=None):
    """An unsaved secret of ``endpoint``: the given one (validated) or a fresh one, encrypted."""
    if secret is not None:
        validate_secret(secret)
    return EndpointSecret(endpoint=endpoint, key=encryption.encrypt(secret or generate_secret()))


def current_secret(endpoint):
    return endpoint.secrets.filter(expires_at__isnull=True).order_by("-created_at", "-id").first()


def record_access(endpoint, action, actor=None):
    return SecretAccess.objects.create(endpoint=endpoint, action=action, actor=(actor or PYTHON_ACTOR)[:300])


def reveal_secret(endpoint, *, actor=None):
    """The endpoint's current secret in full (the only call that shows it); the reveal is recorded."""
    secret = current_secret(endpoint)
    record_access(endpoint, SecretAccess.Action.REVEAL, actor)
    return secret.reveal()


def active_secrets(endpoint, now=None):
    """Every secret that signs right now, newest first, decrypted for signing: at most two."""
    now = now or timezone.now()
    return [s.reveal() for s in endpoint.secrets.all() if s.is_active(now)]


def _check_rotation_rate(endpoint, now):
    limit = conf.get().secret_rotations_per_hour
    recent = list(SecretAccess.objects.filter(endpoint=endpoint, action=SecretAccess.Action.ROTATE,
                                              at__gt=now - ROTATION_WINDOW)
                  .order_by("-at").values_list("at", flat=True)[:max(limit, 1)])
    if len(recent) >= limit:
        oldest = recent[-1] if recent else now
        raise RotationRateLimited(max(1, math.ceil((oldest + ROTATION_WINDOW - now).total_seconds())), limit)


@transaction.atomic
def rotate_secret(endpoint, *, grace_period=None, actor=None):
    """Make a new secret current; the one it replaces keeps signing for the grace period.

    Every older retired secret expires at once, so however often a tenant
    rotates, at most two secrets sign (two HMACs per attempt, a short
    header).  Rotations are limited per endpoint and hour
    (``WEBHOOKS_SECRET_ROTATIONS_PER_HOUR``); more raise ``RotationRateLimited``.
    Returns the new (encrypted) ``EndpointSecret``; ``.reveal()`` shows it.
    """
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    now = timezone.now()
    _check_rotation_rate(endpoint, now)
    grace = conf.get().secret_grace_period if grace_period is None else grace_period
    EndpointSecret.objects.filter(endpoint=endpoint, expires_at__isnull=False).delete()
    EndpointSecret.objects.filter(endpoint=endpoint, expires_at__isnull=True).update(
        expires_at=now + timedelta(seconds=grace)
    )
    EndpointSecret.objects.filter(endpoint=endpoint, expires_at__lte=now).delete()
    record_access(endpoint, SecretAccess.Action.ROTATE, actor)
    new = new_secret_row(endpoint)
    new.save()
    return new
