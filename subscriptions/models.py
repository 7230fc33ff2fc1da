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


class Endpoint(models.Model):
    """A URL of a tenant's, and the event types it wants."""

    id = models.CharField(primary_key=True, max_length=40, default=ids.endpoint_id, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="endpoints")
    url = models.URLField(max_length=2048)
    description = models.CharField(max_length=1024, blank=True)
    # Exact names or "prefix.*" patterns; an empty list means every event type.
    event_types = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    rate_limit = models.PositiveIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    disabled = models.BooleanField(default=False)
    disabled_reason = models.CharField(max_length=512, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Start of the current run of failures; cleared by any success.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # The rate limit's current one-second window (Unix second) and requests sent in it.
    rate_window = models.BigIntegerField(default=0, editable=False)
    rate_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "hookplatform_endpoint"
        ordering = ["-created_at"]
        permissions = [("reveal_secret", "Can reveal endpoint secrets")]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="hp_endpoint_tenant_idx")]

    def __str__(self):
        return f"{self.id} {self.redacted_url}"

    @property
    def redacted_url(self):
        """The URL as it may be shown: any password hidden."""
        from subscriptions.redaction import redact_url

        return redact_url(self.url)


class EndpointSecret(models.Model):
    """A signing key of an endpoint.  ``expires_at`` is set when a rotation retires it."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="secrets")
    key = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "hookplatform_endpoint_secret"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"secret of {self.endpoint_id} ({self.key[:10]}…)"

    def is_active(self, now=None):
        return self.expires_at is None or self.expires_at > (now or timezone.now())


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

    def __str__(self):
        return f"{self.prefix}… ({self.name or 'unnamed'})"

    @property
    def is_platform(self):
        return self.tenant_id is None
