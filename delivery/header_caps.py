"""Bounded response headers: what an attempt keeps of the headers a receiver sent.

http.client accepts 100 headers of 64 kB each; stored whole, one answer
would be megabytes per attempt in the database and on every page that shows
it. So at most ``MAX_HEADERS`` headers, each value at most ``MAX_VALUE_BYTES``
and all of them at most ``MAX_TOTAL_BYTES`` (UTF-8) are kept, in the order
received; a cut value ends with ``CUT``, and a ``CUT_KEY`` entry (a name no
real header can have) says how much was left out.
"""

MAX_HEADERS = 50
MAX_TOTAL_BYTES = 4096
MAX_VALUE_BYTES = 1024
MAX_NAME_BYTES = 128
CUT = "…[truncated]"
CUT_KEY = "(truncated)"


def _clip(text, limit):
    """``text`` in at most ``limit`` UTF-8 bytes, ending with CUT if anything was cut."""
    data = text.encode("utf-8", errors="replace")
    if len(data) <= limit:
        return text, False
    room = max(limit - len(CUT.encode()), 0)
    return data[:room].decode("utf-8", errors="ignore") + CUT, True


def cap_headers(headers, dropped=0):
    """The storable part of ``headers`` (a mapping, or None without an answer).

    ``dropped``: header lines already left out while the answer was read.
    """
    if headers is None:
        return None
    kept, used, clipped = {}, 0, 0
    for name, value in headers.items():
        name, name_cut = _clip(str(name), MAX_NAME_BYTES)
        room = min(MAX_VALUE_BYTES, MAX_TOTAL_BYTES - used - len(name.encode()))
        if len(kept) >= MAX_HEADERS or room < len(CUT.encode()) or name == CUT_KEY:
            dropped += 1
            continue
        value, value_cut = _clip(str(value), room)
        clipped += name_cut or value_cut
        kept[name] = value
        used += len(name.encode()) + len(value.encode())
    if dropped or clipped:
        kept[CUT_KEY] = f"{dropped} more header(s) not kept, {clipped} cut short"
    return kept
