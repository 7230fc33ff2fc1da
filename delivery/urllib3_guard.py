"""Refuse to run on a urllib3 whose decoding the response limit cannot bound.

The sender reads answers with ``read1(n, decode_content=True)`` and relies on
urllib3 to inflate at most ``n`` bytes per call and to refuse more than five
chained encodings. Releases before 2.6.0 inflate a whole received chunk at once
and accept any chain (GHSA-2xpw-w6gg-jr37, GHSA-gm62-xv2j-4w53): a gzip bomb
would then run the worker out of memory, so start-up fails instead.
"""

MINIMUM = (2, 6)


def _release(version):
    parts = []
    for part in version.split(".")[:2]:
        digits = "".join(char for char in part if char.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def require_bounded_decoding(version):
    """``version``: the urllib3 version the HTTP client imported."""
    if _release(version) < MINIMUM:
        raise ImportError(
            f"hookplatform needs urllib3>=2.6 to bound the decoding of receivers' answers; found {version}"
        )
