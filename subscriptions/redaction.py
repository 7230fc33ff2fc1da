"""Hiding credentials wherever endpoints and attempts are shown or logged.

An endpoint's URL may carry credentials (``user:password@``, a token as the
user name, or tokens in the query string) and its custom headers may carry
tokens.  Everything that shows them (the attempt log, the API, the admin,
logs) shows ``<redacted>`` instead.  A change that sends the redacted form
back keeps the stored value, but only for the same origin (scheme, host and
port): credentials never follow a URL to another server.
"""

from urllib.parse import unquote, unquote_plus, urlsplit, urlunsplit

from django.core.exceptions import ValidationError

REDACTED = "<redacted>"
# Parts of header and query-parameter names whose values are credentials (matched case-insensitively).
SENSITIVE_WORDS = ("auth", "token", "secret", "key", "cookie", "sig", "pass", "pwd", "credential", "access",
                   "session", "jwt", "bearer", "private", "code", "hash", "nonce")
# The platform's own request headers, the only ones the attempt log shows as they were sent.
PUBLIC_HEADERS = frozenset({"content-type", "user-agent", "webhook-id", "webhook-timestamp",
                            "svix-id", "svix-timestamp"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_sensitive_name(name):
    lowered = name.lower()
    return any(word in lowered for word in SENSITIVE_WORDS)


def _is_redacted(text):
    return text is not None and unquote(text) == REDACTED


def _redact_user_info(user_info):
    user, colon, _ = user_info.partition(":")
    if colon:
        return f"{user}:{REDACTED}"
    return REDACTED if user else user_info


def _query_pairs(query):
    """``[(raw name, raw value or None)]`` as written, so a query is rebuilt byte for byte."""
    pairs = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        pairs.append((name, value if equals else None))
    return pairs


def _join_query(pairs):
    return "&".join(name if value is None else f"{name}={value}" for name, value in pairs)


def _redact_query(query):
    if not query:
        return query
    return _join_query([(name, REDACTED if value and is_sensitive_name(unquote_plus(name)) else value)
                        for name, value in _query_pairs(query)])


def redact_url(url):
    """The URL with its user info (password, or a lone user name) and credential-like query values hidden."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user_info, _, host = netloc.rpartition("@")  # the host as written: IPv6 brackets, case, port
        netloc = f"{_redact_user_info(user_info)}@{host}"
    return urlunsplit(parts._replace(netloc=netloc, query=_redact_query(parts.query)))


def redact_headers(headers):
    """Request headers as they may be logged: every value but the platform's public ones hidden.

    Custom header values are kept encrypted at rest, so the attempt log, the
    API and the admin show their names only.
    """
    return {name: (value if name.lower() in PUBLIC_HEADERS else REDACTED) for name, value in headers.items()}


def redact_text(text, url):
    """``text`` (an error message, a log line) without any credential of ``url`` in it."""
    parts = urlsplit(url)
    secrets = [parts.password, parts.username if parts.password is None else None]
    secrets += [value for name, value in _query_pairs(parts.query)
                if value and is_sensitive_name(unquote_plus(name))]
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _split(url):
    try:
        return urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket: validation refuses it later
        return None


def origin(url):
    """``(scheme, host, port)``: where credentials are sent (the URL itself when it cannot be parsed)."""
    parts = _split(url)
    if parts is None:
        return url, None, None
    try:
        port = parts.port
    except ValueError:
        port = None
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme)


def has_user_info(url):
    """Whether the URL carries credentials that go as Basic auth."""
    parts = _split(url)
    return parts is not None and "@" in parts.netloc


def has_redacted_parts(url):
    parts = _split(url)
    return parts is not None and (_is_redacted(parts.username) or _is_redacted(parts.password)
            or any(_is_redacted(value) for _, value in _query_pairs(parts.query)))


def restore_url(url, stored_url):
    """Put the stored URL's credentials back where ``url`` carries ``<redacted>``.

    Only for the stored URL's origin: a URL to another scheme, host or port
    must carry its credentials in full (else anyone allowed to edit the URL
    could send them to a server of their own).
    """
    if not isinstance(url, str) or not has_redacted_parts(url):
        return url
    if stored_url is None or origin(url) != origin(stored_url):
        raise ValidationError("The URL points to a new origin (scheme, host or port): give its credentials "
                              f"in full instead of {REDACTED}.", code="credentials_required")
    parts, stored = urlsplit(url), urlsplit(stored_url)
    netloc = parts.netloc
    if "@" in netloc:
        user_info, _, host = netloc.rpartition("@")
        user, colon, password = user_info.partition(":")
        stored_user, _, stored_password = stored.netloc.rpartition("@")[0].partition(":")
        if (_is_redacted(user) and not stored_user) or (_is_redacted(password) and stored.password is None):
            raise ValidationError("No stored credential to keep: give it in full.", code="credentials_required")
        user = stored_user if _is_redacted(user) else user
        password = stored_password if _is_redacted(password) else password
        netloc = f"{user}{colon}{password}@{host}"
    stored_values = {}
    for name, value in _query_pairs(stored.query):
        stored_values.setdefault(unquote_plus(name), value)
    pairs = []
    for name, value in _query_pairs(parts.query):
        if _is_redacted(value):
            if stored_values.get(unquote_plus(name)) is None:
                raise ValidationError(f"No stored value for the query parameter {unquote_plus(name)!r}: "
                                      "give it in full.", code="credentials_required")
            value = stored_values[unquote_plus(name)]
        pairs.append((name, value))
    query = _join_query(pairs) if parts.query else parts.query
    return urlunsplit(parts._replace(netloc=netloc, query=query))
