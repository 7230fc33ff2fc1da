"""API keys: minted once, stored as a keyed hash, looked up by hash."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from subscriptions import conf
from subscriptions.models import ApiKey
from subscriptions.tenants import resolve_tenant

KEY_PREFIX = "hp_"
LAST_USED_GRAIN = timedelta(seconds=60)


def _peppers():
    """The current pepper first, then old ones whose keys still work.

    Without ``WEBHOOKS_API_KEY_PEPPER`` the pepper is SECRET_KEY, and
    SECRET_KEY_FALLBACKS keep keys working across a rotation of it.  Once set,
    new keys no longer depend on SECRET_KEY (``..._PEPPER_FALLBACKS`` rotate
    the pepper), and keys made before it was set keep working.
    """
    secret_keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    current = conf.get()
    if not current.api_key_pepper:
        return secret_keys
    return list(dict.fromkeys([current.api_key_pepper, *current.api_key_pepper_fallbacks, *secret_keys]))


def _hash(key, pepper=None):
    pepper = pepper or _peppers()[0]
    return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()


def create_api_key(*, tenant=None, name=""):
    """Returns ``(api_key, key)``; the key itself is never stored and cannot be shown again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        name=name,
        tenant=resolve_tenant(tenant) if tenant is not None else None,
        prefix=key[:10],
        key_hash=_hash(key),
    )
    return api_key, key


def authenticate_key(key):
    """The live ``ApiKey`` for a presented key, or None."""
    if not isinstance(key, str) or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    api_key = (ApiKey.objects.select_related("tenant")
               .filter(key_hash__in=[_hash(key, pepper) for pepper in _peppers()], revoked_at__isnull=True)
               .first())
    now = timezone.now()
    if api_key is not None and (api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_GRAIN):
        # Roughly when, not a write on every request.
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key


def revoke_api_key(api_key):
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    return api_key
