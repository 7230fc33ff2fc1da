"""Endpoint secrets: the format, the reveal, and rotation with a grace period."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions import create_endpoint, reveal_secret, rotate_secret
from subscriptions.models import EndpointSecret
from subscriptions.secrets import active_secrets, generate_secret, secret_bytes

pytestmark = pytest.mark.django_db


def _row_of(secret):
    """The stored row of a plain-text secret (rows hold it encrypted, so no lookup by value)."""
    return next((row for row in EndpointSecret.objects.all() if row.reveal() == secret), None)


@pytest.fixture
def endpoint(invoice_paid):
    return create_endpoint("org_42", url="http://127.0.0.1:9/hook")


def test_secret_format():
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) <= 64
    assert secret_bytes(secret) == base64.b64decode(secret[6:])
    assert generate_secret() != secret


def test_a_new_endpoint_has_one_secret(endpoint):
    assert active_secrets(endpoint) == [reveal_secret(endpoint)]


def test_a_given_secret_is_kept(invoice_paid):
    secret = generate_secret()
    endpoint = create_endpoint("org_42", url="http://127.0.0.1:9/x", secret=secret)
    assert reveal_secret(endpoint) == secret


def test_rotation_keeps_the_old_secret_signing_during_the_grace_period(endpoint, settings):
    settings.WEBHOOKS_SECRET_GRACE_PERIOD = 3600
    old = reveal_secret(endpoint)
    new = rotate_secret(endpoint).reveal()
    assert new != old and reveal_secret(endpoint) == new
    assert active_secrets(endpoint) == [new, old]  # newest first
    expires = _row_of(old).expires_at
    assert abs((expires - timezone.now() - timedelta(hours=1)).total_seconds()) < 5
    assert active_secrets(endpoint, now=expires + timedelta(seconds=1)) == [new]


def test_after_the_grace_period_only_the_new_one_signs(endpoint):
    old = reveal_secret(endpoint)
    new = rotate_secret(endpoint, grace_period=0).reveal()
    assert active_secrets(endpoint) == [new]
    third = rotate_secret(endpoint, grace_period=60).reveal()
    # The long-expired first secret is gone; the second still signs for a minute.
    assert _row_of(old) is None
    assert active_secrets(endpoint) == [third, new]


def test_default_grace_period_is_a_day(endpoint):
    old = reveal_secret(endpoint)
    rotate_secret(endpoint)
    expires = _row_of(old).expires_at
    assert abs((expires - timezone.now() - timedelta(hours=24)).total_seconds()) < 5
