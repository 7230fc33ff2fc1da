"""Public ids: a prefix and a ULID (time-ordered, so newest-first is id order)."""

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
# Two digits (10 bits) per lookup: 13 lookups make the 26 digits of a 128-bit value, most significant first.
_DIGIT_PAIRS = [high + low for high in _ALPHABET for low in _ALPHABET]
_PAIR_SHIFTS = tuple(range(120, -1, -10))


_last = [0]
_last_lock = threading.Lock()


def ulid():
    """26 characters: 48 bits of milliseconds, then 80 random bits.

    Monotonic within a process: an id made in the same millisecond as the
    one before is that one plus one, so ids sort in the order they were
    made (the fan-out's "oldest first" relies on it).
    """
    return crockford(_values(1)[0])


def ulids(count):
    """``count`` ULIDs, the same as ``count`` calls of ``ulid`` would make, with one clock read."""
    return [crockford(value) for value in _values(count)]


def _values(count):
    """``count`` 128-bit ULID values from one clock read, each above the one made before it in this process."""
    noise = os.urandom(10 * count)
    with _last_lock:
        millis, last, values = int(time.time() * 1000) << 80, _last[0], []
        for start in range(0, 10 * count, 10):
            last = max(millis | int.from_bytes(noise[start:start + 10], "big"), last + 1)
            values.append(last)
        _last[0] = last
    return values


def crockford(value):
    """The 26 Crockford base32 digits of a 128-bit ``value``, most significant first."""
    pairs = _DIGIT_PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


def new_id(prefix):
    return f"{prefix}_{ulid()}"


def event_id():
    return new_id("msg")


def event_ids(count):
    """``count`` event ids at once (``publish_many``), in the order they were made."""
    return [f"msg_{value}" for value in ulids(count)]


def endpoint_id():
    return new_id("ep")
