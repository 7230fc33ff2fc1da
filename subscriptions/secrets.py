"""Endpoint signing secrets: generating, revealing, rotating."""

import base64
import os
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from delivery import conf
from subscriptions.models import Endpoint, EndpointSecret

PREFIX = "whsec_"


def generate_secret():
    """``whsec_`` and the base64 of 32 random bytes (the contract allows 24 to 64)."""
    return PREFIX + base64.b64encode(os.urandom(32)).decode()


def secret_bytes(secret):
    """The HMAC key a ``whsec_`` secret stands for."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def current_secret(endpoint):
    return endpoint.secrets.filter(expires_at__isnull=True).order_by("-created_at", "-id").first()


def reveal_secret(endpoint):
    """The endpoint's current secret in full (the only call that shows it)."""
    return current_secret(endpoint).key


def active_secrets(endpoint, now=None):
    """Every secret that signs right now, newest first: two during a rotation's grace period."""
    now = now or timezone.now()
    return [s.key for s in endpoint.secrets.all() if s.is_active(now)]


@transaction.atomic
def rotate_secret(endpoint, *, grace_period=None):
    """Make a new secret current; the old one keeps signing for the grace period."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    grace = conf.get().secret_grace_period if grace_period is None else grace_period
    now = timezone.now()
    EndpointSecret.objects.filter(endpoint=endpoint, expires_at__isnull=True).update(
        expires_at=now + timedelta(seconds=grace)
    )
    EndpointSecret.objects.filter(endpoint=endpoint, expires_at__lte=now).delete()
    return EndpointSecret.objects.create(endpoint=endpoint, key=generate_secret())
