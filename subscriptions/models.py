"""Who wants what: tenants, the event-type catalogue, endpoints and their secrets, API keys."""

from django.db import models
from django.utils import timezone

from subscriptions import ids


class Tenant(models.Model):
    """A customer of the host product, known by the host's own id (``uid``)."""

    uid = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "hookplatform_tenant"
        ordering = ["-id"]

    def __str__(self):
        return self.uid


class EventType(models.Model):
    """An entry of the catalogue; events may only be published for known, live types."""

    name = models.CharField(max_length=128, unique=True)
    description = models.TextField(blank=True)
    schema = models.JSONField(null=True, blank=True)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "hookplatform_event_type"
        ordering = ["name"]

    def __str__(self):
        return self.name


class PayloadFormat(models.TextChoices):
    STANDARD = "standard", "Standard Webhooks"
    CLOUDEVENTS = "cloudevents", "CloudEvents 1.0 (structured JSON)"


class Endpoint(models.Model):
    """A URL of a tenant's, and the event types it wants.

    ``url`` is the URL as it may be shown (credentials read ``<redacted>``), so
    every display, search and length check sees that form; the URL as sent
    is kept encrypted in ``url_encrypted`` when it carries credentials.
    ``headers`` maps each custom header name to its encrypted value.  Its
    health and rate-limit window are the send path's, kept by ``delivery`` in a
    row of its own (``endpoint.send_state``).
    """

    class Kind(models.TextChoices):
        """``http``: deliveries are POSTed to ``url``; ``polling``: no URL, they are kept for the consumer
        to pull (``delivery.polling``).  Fixed at creation."""

        HTTP = "http", "HTTP (sent to its URL)"
        POLLING = "polling", "Polling (pulled by its consumer)"

    id = models.CharField(primary_key=True, max_length=40, default=ids.endpoint_id, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="endpoints")
    url = models.URLField(max_length=2048, blank=True)  # empty for a polling endpoint
    url_encrypted = models.TextField(blank=True, default="", editable=False)
    description = models.CharField(max_length=1024, blank=True)
    # Exact names or "prefix.*" patterns; an empty list means every event type.
    event_types = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    rate_limit = models.PositiveIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    disabled = models.BooleanField(default=False)
    # What it gets and in what shape (issue 15; subscriptions/filters.py).
    filter = models.JSONField(null=True, blank=True, default=None,
                              help_text="Content filter over the event's type and data; null for every event.")
    payload_format = models.CharField(max_length=16, choices=PayloadFormat.choices, default=PayloadFormat.STANDARD,
                                      help_text="The body's shape: Standard Webhooks or CloudEvents 1.0 (JSON).")
    body_template = models.TextField(blank=True, default="",
                                     help_text="Jinja2 template of the body (with WEBHOOKS_BODY_TEMPLATES on).")
    content_type = models.CharField(max_length=255, blank=True, default="",
                                    help_text="Content type of a templated body; empty: application/json.")
    disabled_reason = models.CharField(max_length=512, blank=True)
    # Edge policy: how requests to it are signed, timed and retried, and where a failed one goes next.
    signature_scheme = models.CharField(max_length=16, default="standard", db_default="standard",
                                        choices=[("standard", "Standard Webhooks"), ("svix", "Svix")])
    retry_schedule = models.JSONField(null=True, blank=True)  # seconds; null: WEBHOOKS_RETRY_SCHEDULE
    retry_on_4xx = models.BooleanField(default=True, db_default=True)
    timeout = models.FloatField(null=True, blank=True)  # seconds; null: WEBHOOKS_TIMEOUT
    fallback_url = models.URLField(max_length=2048, blank=True, default="", db_default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Authentication to receivers (``subscriptions.receiver_auth``): an mTLS client identity (PEM; the key
    # encrypted), CAs trusted for this receiver only, and OAuth2 client credentials (the secret encrypted).
    tls_client_cert = models.TextField(blank=True, default="")
    tls_client_key = models.TextField(blank=True, default="", editable=False)
    tls_ca_bundle = models.TextField(blank=True, default="")
    oauth2 = models.JSONField(null=True, blank=True, editable=False)
    # Ordered delivery: one delivery at a time, in the order the events were published (delivery/lines.py).
    ordered = models.BooleanField(default=False, db_default=False)
    # Polling endpoints (issue 17).
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.HTTP, db_default=Kind.HTTP)

    class Meta:
        db_table = "hookplatform_endpoint"
        ordering = ["-created_at"]
        permissions = [("reveal_secret", "Can reveal endpoint secrets")]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="hp_endpoint_tenant_idx")]

    def __str__(self):
        return f"{self.id} {self.redacted_url}"

    @property
    def redacted_url(self):
        """The URL as it may be shown: credentials hidden (the stored form)."""
        return self.url

    @property
    def shown_headers(self):
        """The custom headers as they may be shown: names only, values redacted."""
        from subscriptions.redaction import REDACTED

        return dict.fromkeys(self.headers or {}, REDACTED)

    def set_url(self, url):
        """Store ``url``: its redacted form in ``url``, the whole URL encrypted if they differ."""
        from subscriptions import encryption
        from subscriptions.redaction import redact_url

        self.url = redact_url(url)
        self.url_encrypted = encryption.encrypt(url) if self.url != url else ""

    def set_headers(self, headers):
        from subscriptions import encryption

        self.headers = {name: encryption.encrypt(value) for name, value in headers.items()}

    def url_to_send(self):
        """The URL with its credentials: decrypted for a request, a save or a re-encryption only."""
        from subscriptions import encryption

        return encryption.decrypt(self.url_encrypted) if self.url_encrypted else self.url

    def headers_to_send(self):
        """The custom headers in plain text: decrypted for a request, a save or a re-encryption only."""
        from subscriptions import encryption

        return {name: encryption.decrypt(token) for name, token in (self.headers or {}).items()}


class EndpointSecret(models.Model):
    """A signing key of an endpoint.  ``expires_at`` is set when a rotation retires it.

    ``key`` holds the ``whsec_`` secret encrypted (``subscriptions.encryption``);
    ``reveal()`` decrypts it.
    """

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="secrets")
    key = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "hookplatform_endpoint_secret"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"secret of {self.endpoint_id} (created {self.created_at:%Y-%m-%d %H:%M})"

    def is_active(self, now=None):
        return self.expires_at is None or self.expires_at > (now or timezone.now())

    def reveal(self):
        """The ``whsec_`` secret in plain text: for signing, revealing or re-encrypting only."""
        from subscriptions import encryption

        return encryption.decrypt(self.key)


class SecretAccess(models.Model):
    """An audit record: who revealed or rotated an endpoint's signing secret, when, and how."""

    class Action(models.TextChoices):
        REVEAL = "reveal", "revealed"
        ROTATE = "rotate", "rotated"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="secret_accesses")
    action = models.CharField(max_length=16, choices=Action.choices)
    # "api key hp_abc… (name)", "staff user alice", "python" (a host's own code).
    actor = models.CharField(max_length=300)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "hookplatform_secret_access"
        ordering = ["-at", "-id"]
        verbose_name = "secret access"
        verbose_name_plural = "secret accesses"
        indexes = [models.Index(fields=["endpoint", "action", "-at"], name="hp_secret_access_idx")]

    def __str__(self):
        return f"{self.endpoint_id} secret {self.get_action_display()} by {self.actor}"


class ApiKey(models.Model):
    """A bearer key for the REST API, stored only as a keyed hash.

    A key without a tenant is a platform key and acts on every tenant.
    """

    name = models.CharField(max_length=255, blank=True)
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "hookplatform_api_key"
        ordering = ["-created_at"]
        verbose_name = "API key"
        permissions = [("add_platform_key", "Can mint platform API keys (acting on every tenant)")]

    def __str__(self):
        return f"{self.prefix}… ({self.name or 'unnamed'})"

    @property
    def is_platform(self):
        return self.tenant_id is None


class PortalLink(models.Model):
    """A one-time link into a tenant's portal, kept as the SHA-256 of its token only.

    ``used_at`` is set by the one redemption that wins; a link past
    ``expires_at`` or used once opens nothing.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="portal_links")
    token_hash = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "hookplatform_portal_link"
        ordering = ["-created_at"]

    def __str__(self):
        return f"portal link of {self.tenant_id} (expires {self.expires_at:%Y-%m-%d %H:%M})"
