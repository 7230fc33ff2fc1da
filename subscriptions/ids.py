"""Public ids: a prefix and a ULID (time-ordered, so newest-first is id order)."""

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


def ulid():
    """26 characters: 48 bits of milliseconds, then 80 random bits."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))


def new_id(prefix):
    return f"{prefix}_{ulid()}"


def event_id():
    return new_id("msg")


def endpoint_id():
    return new_id("ep")
