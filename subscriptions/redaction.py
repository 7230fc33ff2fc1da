"""Hiding credentials wherever endpoints and attempts are shown or logged.

An endpoint's URL may carry a password (sent as HTTP Basic auth) and its
custom headers may carry tokens.  Everything that shows them (the attempt
log, the API, the admin, logs) shows ``<redacted>`` instead; a change that
sends the redacted form back keeps the stored value.
"""

from urllib.parse import urlsplit, urlunsplit

REDACTED = "<redacted>"
SENSITIVE_WORDS = ("auth", "token", "secret", "key", "cookie", "signature", "password")


def redact_url(url):
    """The URL with any password replaced."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user_info, _, host = parts.netloc.rpartition("@")  # the host as written: IPv6 brackets, case, port
    netloc = f"{user_info.partition(':')[0]}:{REDACTED}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def is_sensitive_header(name):
    return any(word in name.lower() for word in SENSITIVE_WORDS)


def redact_headers(headers):
    """Headers with the values of credential-like names hidden."""
    return {name: (REDACTED if is_sensitive_header(name) else value) for name, value in headers.items()}


def restore_password(url, stored_url):
    """Put the stored URL's password back where a form or API client sent it redacted."""
    parts = urlsplit(url)
    if stored_url is None or parts.password != REDACTED:
        return url
    password = urlsplit(stored_url).password or ""
    netloc = parts.netloc.replace(f":{REDACTED}@", f":{password}@" if password else "@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def restore_headers(headers, stored_headers):
    """Keep the stored value of every header sent back as ``<redacted>``."""
    stored = stored_headers or {}
    return {name: (stored.get(name, value) if value == REDACTED else value) for name, value in headers.items()}
