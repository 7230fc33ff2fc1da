"""The settings table: every ``WEBHOOKS_*`` knob, its default, its parser and what it does.

The one module that names these settings.  A host sets them in its Django
settings; the standalone project fills them from the environment with
:func:`from_environ`.  From the table come the frozen settings object
(:func:`get`, cached and dropped when a test overrides a setting) and the
start-up check of every value (:func:`problems`, run by ``checks.py``).
Each parser takes a Python value, as a host writes it, or the environment's
string, and refuses what it cannot use with ``ValueError``.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, make_dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

# 80, 443 and the unprivileged ports, minus services that answer a stray POST in ways that matter:
# databases, caches, container and cluster control planes.
DANGEROUS_PORTS = (1433, 1521, 2375, 2376, 2379, 2380, 3306, 5432, 5984, 6379, 6443, 9042, 9200, 9300,
                   10250, 10255, 11211, 27017)


def _default_ports():
    ranges, low = [(80, 80), (443, 443)], 1024
    for port in DANGEROUS_PORTS:
        if low < port:
            ranges.append((low, port - 1))
        low = port + 1
    return tuple(ranges + [(low, 65535)])


DEFAULT_ALLOWED_PORTS = _default_ports()


def parse_ports(value):
    """``((low, high), ...)`` from ``"80,443,1024-65535"`` or a list of ports and ``"a-b"`` ranges."""
    if value in (None, ""):
        return DEFAULT_ALLOWED_PORTS
    parts = value.replace(" ", "").split(",") if isinstance(value, str) else list(value)
    ranges = []
    for part in (str(p) for p in parts if str(p)):
        low, _, high = part.partition("-")
        try:
            low, high = int(low), int(high or low)
        except ValueError:
            low = high = 0
        if not 1 <= low <= high <= 65535:
            raise ValueError(f"{part!r} is not a port or a range of ports")
        ranges.append((low, high))
    return tuple(ranges)


MAX_AGE = 100 * 365 * 86400
AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(value):
    """Seconds from ``3600``, ``"3600"``, ``"90m"``, ``"12h"``, ``"30d"`` or ``"2w"``; None for empty."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        unit = AGE_UNITS.get(text[-1:]) if text[-1:].isalpha() else 1
        number = text[:-1] if text[-1:].isalpha() else text
        try:
            seconds = float(number) * unit
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not an age such as 3600, 12h or 30d") from None
    if not 0 < seconds <= MAX_AGE:  # also NaN and infinity, which no date arithmetic survives
        raise ValueError(f"{value!r} is not a positive age of at most 100 years")
    return seconds


def _required_age(value):
    age = parse_age(value)
    if age is None:
        raise ValueError("empty, while it needs an age such as 3600, 12h or 7d")
    return age


def _number(kind, low, *, strict=False, high=None):
    """A parser of ``kind`` (int or float) that refuses what is not finite, below ``low`` or above ``high``."""
    name = "a whole number" if kind is int else "a number"

    def parse(value):
        try:
            number = kind(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{value!r} is not {name}") from None
        if isinstance(value, bool) or number != value and not isinstance(value, str):
            raise ValueError(f"{value!r} is not {name}")
        if not math.isfinite(number) or number < low or strict and number == low:
            raise ValueError(f"{value!r} is not {'more than' if strict else 'at least'} {low}")
        if high is not None and number > high:
            raise ValueError(f"{value!r} is more than {high}")
        return number

    return parse


_seconds = _number(float, 0)
_positive_seconds = _number(float, 0, strict=True)


def _zero_is_none(parse):
    """None, empty or 0 mean unset."""
    return lambda value: None if value in (None, "") else parse(value) or None


def _seconds_list(value):
    parts = [part for part in value.replace(" ", "").split(",") if part] if isinstance(value, str) else value
    try:
        return tuple(_seconds(part) for part in parts)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a list of seconds such as 5,300,1800") from None


def _key_list(value):
    """A list of keys, or one comma-separated string of them (as the environment gives it); never echoed."""
    if isinstance(value, str):
        value = value.split(",")
    try:
        return tuple(str(key).strip() for key in value or () if str(key).strip())
    except TypeError:
        raise ValueError("not a list of keys nor a comma-separated string of them") from None


def _flag(value):
    if not isinstance(value, str):
        return bool(value)
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{value!r} is neither on nor off (1/0, true/false, yes/no, on/off)")


def _text(value):
    return "" if value is None else str(value)


def parse_proxy(value):
    """An ``http://[user:pass@]host:port`` proxy URL, or "" for none; its credentials never echoed."""
    from urllib.parse import urlsplit

    text = _text(value).strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError:
        raise ValueError("not a URL such as http://user:pass@proxy.internal:3128") from None
    if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ValueError("not a URL such as http://user:pass@proxy.internal:3128 (http scheme, a host, "
                         "no path)")
    return text


# --- The tenant portal's knobs -----------------------------------------------------
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
# A CSP source an origin list may hold: 'self', or scheme://host[:port] with an optional leading "*." label.
_ORIGIN = re.compile(r"^('self'|https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?)$")
_COLOUR = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _dotted_path(value):
    text = _text(value).strip()
    if text and not _DOTTED.match(text):
        raise ValueError(f"{text!r} is not a dotted path such as myapp.webhooks.portal_tenant")
    return text


def _origins(value):
    """Origins allowed to frame the portal: a list, or one string separated by commas or spaces."""
    parts = value.replace(",", " ").split() if isinstance(value, str) else list(value or ())
    for part in parts:
        if not isinstance(part, str) or not _ORIGIN.match(part):
            raise ValueError(f"{part!r} is not an origin such as https://app.example.com or 'self'")
    return tuple(parts)


def _colour(value):
    text = _text(value).strip()
    if not _COLOUR.match(text):
        raise ValueError(f"{text!r} is not a colour such as #1d4ed8")
    return text


def _logo_url(value):
    text = _text(value).strip()
    if text and not text.startswith(("https://", "http://", "/")) or any(c in text for c in "\"'<> "):
        raise ValueError(f"{text!r} is not an http(s) URL or a path starting with /")
    return text


def _uri_reference(value):
    """A non-empty URI-reference (CloudEvents' ``source``): printable ASCII, no spaces, at most 2,048 characters."""
    text = str(value or "").strip()
    if not text or len(text) > 2048 or not all("!" <= ch <= "~" for ch in text):
        raise ValueError(f"{value!r} is not a URI-reference such as /billing or https://shop.example.com")
    return text


@dataclass(frozen=True)
class Knob:
    """One row of the table: the setting's name, its default, the parser of its value and what it does."""

    name: str
    default: Any
    parse: Callable[[Any], Any]
    doc: str
    secret: bool = False  # kept out of the settings object's repr and of error messages

    @property
    def attr(self):
        """The settings object's attribute: ``WEBHOOKS_BATCH_SIZE`` is ``batch_size``."""
        return self.name.removeprefix("WEBHOOKS_").lower()

    def read(self):
        """The parsed value of the Django setting (or the default); ``InvalidSetting`` names the knob."""
        raw = getattr(settings, self.name, self.default)
        try:
            return self.parse(raw)
        except (TypeError, ValueError) as exc:
            raise InvalidSetting(self, exc) from None


class InvalidSetting(ImproperlyConfigured):
    """A value the knob's parser refuses; the message starts with the knob's name."""

    def __init__(self, knob, reason):
        self.knob = knob
        super().__init__(f"{knob.name}: {reason}")


KNOBS = (
    Knob("WEBHOOKS_RETRY_SCHEDULE", (5, 300, 1800, 7200, 18000, 36000, 36000), _seconds_list,
         "Delays in seconds after each failed attempt; len + 1 attempts in all."),
    Knob("WEBHOOKS_RETRY_JITTER", 0.2, _number(float, 0, high=1), "Each delay varies by up to this fraction."),
    Knob("WEBHOOKS_TIMEOUT", 15.0, _positive_seconds, "Seconds for a whole attempt."),
    Knob("WEBHOOKS_DISABLE_AFTER", 5 * 24 * 3600, _positive_seconds,
         "Seconds of failures without a success after which an endpoint is disabled."),
    Knob("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False, _flag, "Allow loopback, private and link-local targets."),
    Knob("WEBHOOKS_REQUIRE_HTTPS", False, _flag, "Refuse http:// endpoint URLs."),
    Knob("WEBHOOKS_SECRET_GRACE_PERIOD", 24 * 3600, _seconds, "Seconds a rotated-out secret keeps signing."),
    Knob("WEBHOOKS_SECRET_ROTATIONS_PER_HOUR", 10, _number(int, 0),
         "Rotations of one endpoint's secret allowed per hour (each retires the previous secret)."),
    Knob("WEBHOOKS_ENCRYPTION_KEYS", (), _key_list,
         "Fernet keys for secrets at rest: the first encrypts, every one decrypts (a list or \"k1,k2\").",
         secret=True),
    Knob("WEBHOOKS_IDEMPOTENCY_WINDOW", 24 * 3600, _seconds, "Seconds an idempotency key is remembered."),
    Knob("WEBHOOKS_MAX_PAYLOAD_BYTES", 256 * 1024, _number(int, 1), "Largest event body, in bytes."),
    Knob("WEBHOOKS_RESPONSE_BODY_LIMIT", 20 * 1024, _number(int, 0), "Bytes of a response body read and logged."),
    Knob("WEBHOOKS_BATCH_SIZE", 50, _number(int, 1), "Deliveries a worker task claims and sends at once."),
    Knob("WEBHOOKS_SEND_CONCURRENCY", 32, _number(int, 1), "Sending threads per worker process."),
    Knob("WEBHOOKS_ENDPOINT_CONCURRENCY", 4, _number(int, 1),
         "Requests one endpoint may have in flight per worker process."),
    Knob("WEBHOOKS_TENANT_CONCURRENCY", None, _zero_is_none(_number(int, 0)),
         "Requests one tenant may have in flight per worker process (unset: half the sending threads)."),
    Knob("WEBHOOKS_MAX_ENDPOINTS_PER_TENANT", 100, _zero_is_none(_number(int, 0)),
         "Endpoints a tenant may have (0 or None: no cap)."),
    Knob("WEBHOOKS_ALLOWED_PORTS", None, parse_ports,
         "Destination ports a webhook may use, \"80,443,1024-65535\" style (None: DEFAULT_ALLOWED_PORTS)."),
    Knob("WEBHOOKS_DNS_TIMEOUT", 3.0, _positive_seconds, "Seconds a lookup of an endpoint's host may take."),
    Knob("WEBHOOKS_BATCH_PATIENCE", 0.05, _seconds, "Seconds a batch waits for its requests."),
    Knob("WEBHOOKS_DISPATCH_INTERVAL", 1.0, _positive_seconds, "Seconds between dispatcher ticks."),
    Knob("WEBHOOKS_QUEUE_LEASE", 120, _positive_seconds,
         "Seconds a claimed batch may wait in the broker before it is claimed again."),
    Knob("WEBHOOKS_LEASE_MARGIN", 30, _seconds, "Seconds added to a running batch's lease beyond its sending time."),
    Knob("WEBHOOKS_OUTBOX_GRACE", 2, _seconds,
         "Seconds an event may wait for its fan-out before the dispatcher asks for it again."),
    Knob("WEBHOOKS_HEARTBEAT_INTERVAL", 2.0, _positive_seconds,
         "Seconds between a worker node's announcements that it is alive."),
    Knob("WEBHOOKS_HEARTBEAT_TIMEOUT", 10.0, _positive_seconds,
         "Seconds of silence after which a worker node counts as dead and its leases lapse at once."),
    Knob("WEBHOOKS_DISPATCH_MAX_BATCHES", 20, _number(int, 1), "Batches the dispatcher claims per tick and kind."),
    Knob("WEBHOOKS_RETENTION", None, parse_age,
         "Age after which attempts, finished deliveries and their events are purged (None: never)."),
    Knob("WEBHOOKS_NOTIFY_EMAIL", False, _flag,
         "Email the tenant's contact_email when an endpoint is disabled or a delivery exhausted."),
    Knob("WEBHOOKS_OPERATIONAL_TENANT", "", _text,
         "uid of a platform-level tenant whose endpoints get endpoint.disabled / delivery.exhausted."),
    Knob("WEBHOOKS_RECOVER_WINDOW", 7 * 86400, _required_age,
         "How far back a recovery (API, admin, webhooks_recover) may go."),
    # Per-endpoint retry policy and timeout (endpoint fields retry_schedule, timeout): the bounds they keep to.
    Knob("WEBHOOKS_ENDPOINT_TIMEOUT_MIN", 1.0, _positive_seconds, "Shortest timeout an endpoint may set, seconds."),
    Knob("WEBHOOKS_ENDPOINT_TIMEOUT_MAX", 60.0, _positive_seconds, "Longest timeout an endpoint may set, seconds."),
    Knob("WEBHOOKS_ENDPOINT_MAX_RETRIES", 20, _number(int, 0),
         "Most delays an endpoint's own retry_schedule may list."),
    Knob("WEBHOOKS_ENDPOINT_MAX_RETRY_DELAY", 86400, _required_age,
         "Longest delay an endpoint's own retry_schedule may list: seconds or 90m, 12h, 1d."),
    Knob("WEBHOOKS_API_KEY_PEPPER", "", _text,
         "Key of the keyed hash API keys are stored as (empty: SECRET_KEY and its fallbacks).", secret=True),
    Knob("WEBHOOKS_API_KEY_PEPPER_FALLBACKS", (), _key_list,
         "Old peppers whose API keys still work (a list or \"p1,p2\").", secret=True),
    # Delivery at the network's edge (issue 17): egress proxy and authentication to receivers.
    Knob("WEBHOOKS_EGRESS_PROXY", "", parse_proxy,
         "http://[user:pass@]host:port of a proxy every request leaves through, as a CONNECT tunnel to the "
         "vetted address (empty: direct).", secret=True),
    Knob("WEBHOOKS_OAUTH2_TOKEN_MARGIN", 30, _seconds,
         "Seconds before its expiry an OAuth2 access token is fetched anew."),
    # The tenant portal (delivery/portal/).
    Knob("WEBHOOKS_PORTAL_TENANT", "", _dotted_path,
         "Dotted path of the host's function (request) -> tenant uid or None that opens its portal (None: 403)."),
    Knob("WEBHOOKS_PORTAL_FRAME_ANCESTORS", (), _origins,
         "Origins that may show the portal in a frame (\"https://a.example https://b.example\"); none else may."),
    Knob("WEBHOOKS_PORTAL_LINK_AGE", 600, _positive_seconds,
         "Seconds a one-time portal link works when its request gives no expires_in."),
    Knob("WEBHOOKS_PORTAL_SESSION_AGE", 3600, _positive_seconds,
         "Seconds a portal session started by a one-time link lasts."),
    Knob("WEBHOOKS_PORTAL_PRODUCT_NAME", "Webhooks", _text, "Product name the portal's pages show."),
    Knob("WEBHOOKS_PORTAL_LOGO_URL", "", _logo_url, "URL of the logo the portal's pages show (empty: none)."),
    Knob("WEBHOOKS_PORTAL_ACCENT_COLOUR", "#1d4ed8", _colour,
         "Accent colour of the portal's buttons and links; white text must read on it."),
)
# What an endpoint gets and in what shape (issue 15).
KNOBS += (
    Knob("WEBHOOKS_CLOUDEVENTS_SOURCE", "/hookplatform", _uri_reference,
         "The `source` of CloudEvents bodies (a URI-reference naming this platform)."),
    Knob("WEBHOOKS_BODY_TEMPLATES", False, _flag,
         "Let endpoints have a body template (sandboxed Jinja2, rendered in a child process)."),
    # OpenTelemetry (issue 17): traces need the optional extra hookplatform[otel].
    Knob("WEBHOOKS_TRACEPARENT_HEADER", False, _flag,
         "Send each attempt's W3C traceparent header to the receiver (with OpenTelemetry installed)."),
)
_BY_ATTR = {row.attr: row for row in KNOBS}
_BY_NAME = {row.name: row for row in KNOBS}
# The defaults as written in the table, before parsing.
DEFAULTS = {row.name: row.default for row in KNOBS}


def knob(attr):
    """The table's row for a settings attribute, for modules that must name the setting (messages, checks)."""
    return _BY_ATTR[attr]


class _Derived:
    """What the settings object works out from its knobs."""

    @property
    def max_attempts(self):
        return len(self.retry_schedule) + 1

    @property
    def execution_lease(self):
        """How long a claimed batch may take once a worker started it.

        A request may wait in its endpoint's line (at most two rounds of the
        endpoint's requests in flight) and for a thread (at most two requests
        per thread, so about one timeout), then takes at most the timeout; the
        margin covers the database writes around it.
        """
        return self.execution_lease_for(self.timeout)

    def execution_lease_for(self, longest_send):
        """``execution_lease`` for a batch whose slowest send takes ``longest_send`` seconds (an endpoint's
        own timeout, twice over with a fallback URL)."""
        return 4 * max(self.timeout, longest_send) + self.lease_margin


WebhookSettings = make_dataclass(
    "WebhookSettings", [(row.attr, Any, field(repr=not row.secret)) for row in KNOBS], bases=(_Derived,), frozen=True)
WebhookSettings.__doc__ = "The parsed settings, one attribute per knob of ``KNOBS``."


def _read_all():
    """The parsed values of the knobs, and an ``InvalidSetting`` for each value refused."""
    values, refused = {}, []
    for row in KNOBS:
        try:
            values[row.attr] = row.read()
        except InvalidSetting as exc:
            refused.append(exc)
    return values, refused


def _load():
    values, refused = _read_all()
    if refused:
        raise ImproperlyConfigured("; ".join(map(str, refused)))
    if values["tenant_concurrency"] is None:  # half the threads, so that two tenants at least share them
        values["tenant_concurrency"] = max(1, values["send_concurrency"] // 2)
    return WebhookSettings(**values)


def problems():
    """An ``InvalidSetting`` for every value refused, else for values at odds with each other."""
    values, refused = _read_all()
    return refused or _conflicts(values)


def _conflicts(values):
    """The purge keeps events at least as long as their idempotency keys are remembered (retention.purge);
    a live node announces itself more than once within the heartbeat timeout; an endpoint's timeout has
    room between its bounds."""
    found = []
    retention, window = values["retention"], values["idempotency_window"]
    if retention is not None and retention < window:
        reason = f"{retention:g} s is shorter than {knob('idempotency_window').name} ({window:g} s)"
        found.append(InvalidSetting(knob("retention"), reason))
    interval, timeout = values["heartbeat_interval"], values["heartbeat_timeout"]
    if timeout < 2 * interval:
        reason = f"{timeout:g} s is less than twice {knob('heartbeat_interval').name} ({interval:g} s)"
        found.append(InvalidSetting(knob("heartbeat_timeout"), reason))
    low, high = values["endpoint_timeout_min"], values["endpoint_timeout_max"]
    if low > high:
        reason = f"{high:g} s is shorter than {knob('endpoint_timeout_min').name} ({low:g} s)"
        found.append(InvalidSetting(knob("endpoint_timeout_max"), reason))
    return found


def from_environ(environ):
    """The knobs that ``environ`` sets (an empty one counts as unset), as Django settings of the same names.

    The standalone project's settings call it.  The values stay the strings
    given, which every parser takes, so a bad one is refused by the system
    check naming its knob rather than by a traceback in the settings module.
    """
    return {row.name: environ[row.name] for row in KNOBS if environ.get(row.name)}


_cached = None


def get():
    """The current settings, parsed once and cached; ``ImproperlyConfigured`` names every knob refused."""
    global _cached
    if _cached is None:
        _cached = _load()
    return _cached


def _reset(*, setting, **kwargs):
    global _cached
    if setting in _BY_NAME:
        _cached = None


setting_changed.connect(_reset)
