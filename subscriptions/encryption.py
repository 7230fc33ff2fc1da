"""Encryption at rest for signing secrets, URL credentials and custom header values.

A database dump or backup alone must not let anyone forge webhooks or call
receivers with their credentials, so these values are stored as Fernet
tokens (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under keys kept
outside the database: ``WEBHOOKS_ENCRYPTION_KEYS``.  The first key encrypts,
every key decrypts, so keys rotate by putting a new one first, running
``manage.py webhooks_reencrypt`` and then dropping the old one.

Model attributes hold the tokens; plaintext exists only inside the explicit
calls that need it (signing at send time, revealing, re-encrypting).
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from subscriptions import conf

SETTING = conf.knob("encryption_keys").name
GENERATE_HINT = ('python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"')
MISSING = (f"{SETTING} is not set. Secrets, URL credentials and header values are encrypted at rest "
           f"with it: set it (environment or settings) to a Fernet key, generated with {GENERATE_HINT}.")


class DecryptionError(ImproperlyConfigured):
    """A stored value was encrypted with none of the configured keys."""


def generate_key():
    return Fernet.generate_key().decode()


def development_key():
    """A key derived from SECRET_KEY (HKDF), for DEBUG runs that set no key of their own."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"hookplatform encryption at rest").derive(settings.SECRET_KEY.encode())
    return base64.urlsafe_b64encode(derived).decode()


def active_keys():
    """The configured keys; in DEBUG only, a derived one when none is configured."""
    keys = conf.get().encryption_keys
    if keys:
        return keys
    if settings.DEBUG:
        return (development_key(),)
    raise ImproperlyConfigured(MISSING)


def invalid_keys(keys):
    """Positions (1-based) of the keys that are not Fernet keys."""
    bad = []
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            bad.append(position)
    return bad


@functools.lru_cache(maxsize=8)
def _fernet(keys):
    bad = invalid_keys(keys)
    if bad:
        raise ImproperlyConfigured(f"{SETTING}: key number {', '.join(map(str, bad))} is not a Fernet key "
                                   f"(32 url-safe base64-encoded bytes; generate one with {GENERATE_HINT}).")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(text):
    """The Fernet token (text) of ``text`` under the first key."""
    return _fernet(active_keys()).encrypt(text.encode()).decode()


def decrypt(token):
    """The text of a token made by ``encrypt`` under any configured key."""
    return _decrypted(active_keys(), token)


@functools.lru_cache(maxsize=1024)
def _decrypted(keys, token):
    """Kept per key set and token: a worker signs with the same few secrets again and again.  The
    plaintext is no more exposed so (the keys that decrypt it are in the same process's memory), and a
    key taken out of the set is a new key set, so what only it could decrypt is decrypted no more."""
    try:
        return _fernet(keys).decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(f"A stored value cannot be decrypted with any key of {SETTING}: was a key "
                              "removed before `manage.py webhooks_reencrypt` ran?") from None


def rotate(token):
    """The same plaintext under the first key (a token already under it is re-encrypted too)."""
    try:
        return _fernet(active_keys()).rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(f"A stored value cannot be decrypted with any key of {SETTING}.") from None
