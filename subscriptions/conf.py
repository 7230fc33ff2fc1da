"""The one place that reads the ``WEBHOOKS_*`` settings.

A host sets them in its Django settings; hookplatform's own settings module
fills them from the environment.  Every value has a documented default, and
the cached values are dropped when a test overrides a setting.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS = {
    # Delays in seconds after the first attempt; len + 1 attempts in all.
    "WEBHOOKS_RETRY_SCHEDULE": (5, 300, 1800, 7200, 18000, 36000, 36000),
    "WEBHOOKS_RETRY_JITTER": 0.2,
    "WEBHOOKS_TIMEOUT": 15.0,
    "WEBHOOKS_DISABLE_AFTER": 5 * 24 * 3600,
    "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": False,
    "WEBHOOKS_REQUIRE_HTTPS": False,
    "WEBHOOKS_SECRET_GRACE_PERIOD": 24 * 3600,
    # Rotations of one endpoint's secret allowed per hour (each retires the previous secret).
    "WEBHOOKS_SECRET_ROTATIONS_PER_HOUR": 10,
    # Fernet keys for secrets at rest: the first encrypts, every one decrypts (a list or "k1,k2").
    "WEBHOOKS_ENCRYPTION_KEYS": (),
    "WEBHOOKS_IDEMPOTENCY_WINDOW": 24 * 3600,
    "WEBHOOKS_MAX_PAYLOAD_BYTES": 256 * 1024,
    "WEBHOOKS_RESPONSE_BODY_LIMIT": 20 * 1024,
    "WEBHOOKS_BATCH_SIZE": 50,
    "WEBHOOKS_SEND_CONCURRENCY": 16,
    "WEBHOOKS_ENDPOINT_CONCURRENCY": 4,
    # Sending threads one tenant may hold per worker process (None: half of WEBHOOKS_SEND_CONCURRENCY).
    "WEBHOOKS_TENANT_CONCURRENCY": None,
    "WEBHOOKS_MAX_ENDPOINTS_PER_TENANT": 100,  # 0 or None: no cap
    # Destination ports a webhook may use: "80,443,1024-65535" style (None: DEFAULT_ALLOWED_PORTS).
    "WEBHOOKS_ALLOWED_PORTS": None,
    "WEBHOOKS_DNS_TIMEOUT": 3.0,
    "WEBHOOKS_BATCH_PATIENCE": 0.05,
    "WEBHOOKS_DISPATCH_INTERVAL": 1.0,
    "WEBHOOKS_QUEUE_LEASE": 120,
    "WEBHOOKS_LEASE_MARGIN": 30,
    "WEBHOOKS_OUTBOX_GRACE": 2,
    "WEBHOOKS_DISPATCH_MAX_BATCHES": 20,
    # Age after which attempts, finished deliveries and their events are purged (None: never).
    "WEBHOOKS_RETENTION": None,
    # Email the tenant's contact_email when an endpoint is disabled or a delivery exhausted.
    "WEBHOOKS_NOTIFY_EMAIL": False,
    # uid of a platform-level tenant whose endpoints get endpoint.disabled / delivery.exhausted.
    "WEBHOOKS_OPERATIONAL_TENANT": "",
    # How far back a recovery (API, admin, webhooks_recover) may go.
    "WEBHOOKS_RECOVER_WINDOW": 7 * 86400,
}

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
        low, high = int(low), int(high or low)
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


def _seconds_list(value):
    if isinstance(value, str):
        value = [part for part in value.replace(" ", "").split(",") if part]
    return tuple(float(part) for part in value)


def _key_list(value):
    """A list of keys, or one comma-separated string of them (as the environment gives it)."""
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(key).strip() for key in value or () if str(key).strip())


@dataclass(frozen=True)
class WebhookSettings:
    retry_schedule: tuple
    retry_jitter: float
    timeout: float
    disable_after: float
    allow_private_networks: bool
    require_https: bool
    secret_grace_period: float
    idempotency_window: float
    max_payload_bytes: int
    response_body_limit: int
    batch_size: int
    send_concurrency: int
    endpoint_concurrency: int
    batch_patience: float
    dispatch_interval: float
    queue_lease: float
    lease_margin: float
    outbox_grace: float
    dispatch_max_batches: int
    retention: float | None = None
    tenant_concurrency: int = 8
    max_endpoints_per_tenant: int | None = 100
    allowed_ports: tuple = DEFAULT_ALLOWED_PORTS
    dns_timeout: float = 3.0
    notify_email: bool = False
    operational_tenant: str = ""
    secret_rotations_per_hour: int = 10
    encryption_keys: tuple = ()
    recover_window: float = 7 * 86400

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
        return 4 * self.timeout + self.lease_margin


def _load():
    raw = {name: getattr(settings, name, default) for name, default in DEFAULTS.items()}
    return WebhookSettings(
        retry_schedule=_seconds_list(raw["WEBHOOKS_RETRY_SCHEDULE"]),
        retry_jitter=float(raw["WEBHOOKS_RETRY_JITTER"]),
        timeout=float(raw["WEBHOOKS_TIMEOUT"]),
        disable_after=float(raw["WEBHOOKS_DISABLE_AFTER"]),
        allow_private_networks=bool(raw["WEBHOOKS_ALLOW_PRIVATE_NETWORKS"]),
        require_https=bool(raw["WEBHOOKS_REQUIRE_HTTPS"]),
        secret_grace_period=float(raw["WEBHOOKS_SECRET_GRACE_PERIOD"]),
        idempotency_window=float(raw["WEBHOOKS_IDEMPOTENCY_WINDOW"]),
        max_payload_bytes=int(raw["WEBHOOKS_MAX_PAYLOAD_BYTES"]),
        response_body_limit=int(raw["WEBHOOKS_RESPONSE_BODY_LIMIT"]),
        batch_size=int(raw["WEBHOOKS_BATCH_SIZE"]),
        send_concurrency=int(raw["WEBHOOKS_SEND_CONCURRENCY"]),
        endpoint_concurrency=int(raw["WEBHOOKS_ENDPOINT_CONCURRENCY"]),
        batch_patience=float(raw["WEBHOOKS_BATCH_PATIENCE"]),
        dispatch_interval=float(raw["WEBHOOKS_DISPATCH_INTERVAL"]),
        queue_lease=float(raw["WEBHOOKS_QUEUE_LEASE"]),
        lease_margin=float(raw["WEBHOOKS_LEASE_MARGIN"]),
        outbox_grace=float(raw["WEBHOOKS_OUTBOX_GRACE"]),
        dispatch_max_batches=int(raw["WEBHOOKS_DISPATCH_MAX_BATCHES"]),
        retention=parse_age(raw["WEBHOOKS_RETENTION"]),
        tenant_concurrency=max(1, int(raw["WEBHOOKS_TENANT_CONCURRENCY"]
                                      or int(raw["WEBHOOKS_SEND_CONCURRENCY"]) // 2)),
        max_endpoints_per_tenant=int(raw["WEBHOOKS_MAX_ENDPOINTS_PER_TENANT"] or 0) or None,
        allowed_ports=parse_ports(raw["WEBHOOKS_ALLOWED_PORTS"]),
        dns_timeout=float(raw["WEBHOOKS_DNS_TIMEOUT"]),
        notify_email=bool(raw["WEBHOOKS_NOTIFY_EMAIL"]),
        operational_tenant=str(raw["WEBHOOKS_OPERATIONAL_TENANT"] or ""),
        secret_rotations_per_hour=int(raw["WEBHOOKS_SECRET_ROTATIONS_PER_HOUR"]),
        encryption_keys=_key_list(raw["WEBHOOKS_ENCRYPTION_KEYS"]),
        recover_window=parse_age(raw["WEBHOOKS_RECOVER_WINDOW"]),
    )


_cached = None


def get():
    """The current settings, parsed once and cached."""
    global _cached
    if _cached is None:
        _cached = _load()
    return _cached


def _reset(*, setting, **kwargs):
    global _cached
    if setting.startswith("WEBHOOKS_"):
        _cached = None


setting_changed.connect(_reset)
