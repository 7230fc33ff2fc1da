"""System checks of this app's settings (``manage.py check``, ``migrate``, ``runserver``)."""

from django.conf import settings
from django.core import checks

from subscriptions import conf, encryption


@checks.register(checks.Tags.security)
def check_encryption_keys(app_configs=None, **kwargs):
    """Without DEBUG, secrets at rest need a real key: a derived or missing one is refused."""
    keys = conf.get().encryption_keys
    if not keys and not settings.DEBUG:
        return [checks.Error(encryption.MISSING, id="subscriptions.E001",
                             hint=f"Generate a key with: {encryption.GENERATE_HINT}")]
    bad = encryption.invalid_keys(keys)
    if bad:
        return [checks.Error(f"{encryption.SETTING}: key number {', '.join(map(str, bad))} is not a Fernet key.",
                             hint=f"Generate a key with: {encryption.GENERATE_HINT}", id="subscriptions.E002")]
    return []
