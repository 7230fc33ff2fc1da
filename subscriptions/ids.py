"""Public ids: a prefix and a ULID (time-ordered, so newest-first is id order)."""

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


_last = [0]
_last_lock = threading.Lock()


def ulid():
    """26 characters: 48 bits of milliseconds, then 80 random bits.

    Monotonic within a process: an id made in the same millisecond as the
    one before is that one plus one, so ids sort in the order they were
    made (the fan-out's "oldest first" relies on it).
    """
    with _last_lock:
        value = max((int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big"), _last[0] + 1)
        _last[0] = value
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
