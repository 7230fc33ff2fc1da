"""Events, the deliveries they fan out to, and the log of every attempt."""

import enum

from django.db import models
from django.db.models import Q
from django.utils import timezone

from delivery import tracing
from subscriptions import ids
from subscriptions.models import Endpoint, Tenant


def fit(model, field_name, text):
    """``text`` as the column can store it: no NUL (PostgreSQL refuses it), cut to its max_length.

    For every field written from what a receiver, the network or a tenant sent:
    one value too long for its column must not fail the write of a whole batch.
    """
    text = (text or "").replace("\x00", "\ufffd")
    limit = model._meta.get_field(field_name).max_length
    return text[:limit] if limit else text


class Event(models.Model):
    """A published event: the outbox row written in the publisher's transaction.

    ``body`` holds the exact bytes every attempt sends.  ``fanned_out_at`` stays
    empty until a worker has created the event's deliveries; the dispatcher
    finds events whose hand-off to the broker was lost by it.
    """

    id = models.CharField(primary_key=True, max_length=40, default=ids.event_id, editable=False)
    # Foreign keys here carry no index of their own (``db_index=False``): each leads a composite index of
    # Meta.indexes, which serves its lookups and cascades.  Every write of these rows updates every index
    # (the status and lease columns are indexed, so no update is HOT), and on PostgreSQL a text key's own
    # index came with a second, pattern one that nothing uses.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="events", db_index=False)
    event_type = models.CharField(max_length=128)
    body = models.TextField()
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    # The publish span's W3C context, carried with the event through the outbox (delivery.tracing).
    traceparent = models.CharField(max_length=55, blank=True, default=tracing.current_traceparent, db_default="",
                                   editable=False)

    class Meta:
        db_table = "hookplatform_event"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="hp_event_idempotency_key",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "-id"], name="hp_event_tenant_idx"),
            models.Index(fields=["created_at"], condition=Q(fanned_out_at__isnull=True),
                         name="hp_event_outbox_idx"),
            models.Index(fields=["event_type", "-id"], name="hp_event_type_idx"),
            # Finding an event by its idempotency key alone (the admin's search).
            models.Index(fields=["idempotency_key"], condition=Q(idempotency_key__isnull=False),
                         name="hp_event_idempotency_idx"),
        ]

    def __str__(self):
        return f"{self.id} {self.event_type}"


class Delivery(models.Model):
    """One event to one endpoint, and where it stands.

    The database, not the broker, is the truth: a row waiting for its next try
    has ``next_attempt_at``; a row being sent holds a lease (``lease_token``,
    ``lease_expires_at``) that lapses if its worker dies.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SUCCEEDED = "succeeded"
        RETRYING = "retrying"
        FAILED = "failed"
        CANCELLED = "cancelled"
        # Groups of states, not states: waiting for a (next) attempt; done for good.
        WAITING = enum.nonmember((PENDING, RETRYING))
        FINISHED = enum.nonmember((SUCCEEDED, FAILED, CANCELLED))

    # Indexed by Meta.indexes (see Event.tenant): (event, endpoint), (endpoint, -id), (tenant, -id).
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Set when a worker starts sending under its lease, cleared with the outcome: a lease that
    # lapses while it is set means the send died with its worker, which counts as a failed attempt.
    send_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Failover (issue 16): the worker node (``delivery.node``) sending under this lease; when the
    # node stops announcing itself (``delivery.heartbeat``) its leases lapse at once.
    lease_node = models.CharField(max_length=255, blank=True, default="", db_default="", editable=False)
    # The state a manual resend took the delivery from: a resend that cannot go out
    # (its endpoint was disabled meanwhile) gives a finished delivery back its state.
    resent_from = models.CharField(max_length=16, blank=True, default="", db_default="", editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The bytes this delivery sends when its endpoint's shape differs from the event's own body
    # (a CloudEvents or templated body), made once at fan-out; null: the event's body, as application/json.
    body = models.TextField(null=True, blank=True, editable=False)
    content_type = models.CharField(max_length=255, blank=True, default="", db_default="", editable=False)
    # Why its body could not be made (a body template that failed): it fails without a request.
    body_error = models.CharField(max_length=512, blank=True, default="", db_default="", editable=False)
    # Polling endpoints: the delivery's place in its endpoint's poll line, given when a poll first reads it
    # (``delivery.polling``); null for a push delivery and for one no poll has reached yet.
    poll_seq = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "hookplatform_delivery"
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="hp_delivery_event_endpoint"),
        ]
        indexes = [
            # The dispatcher's queue: only waiting rows are in it.
            models.Index(fields=["next_attempt_at"],
                         condition=Q(status__in=["pending", "retrying"]),
                         name="hp_delivery_due_idx"),
            models.Index(fields=["lease_expires_at"], condition=Q(status="sending"),
                         name="hp_delivery_lease_idx"),
            models.Index(fields=["endpoint", "-id"], name="hp_delivery_endpoint_idx"),
            models.Index(fields=["tenant", "-id"], name="hp_delivery_tenant_idx"),
            models.Index(fields=["tenant", "status", "-id"], name="hp_delivery_status_idx"),
            # Deliveries per hour (the dashboard) and the date filters.
            models.Index(fields=["created_at"], name="hp_delivery_created_idx"),
            # One endpoint's deliveries per hour and by status (the portal's figures, the API's stats/),
            # counted from the index alone.
            models.Index(fields=["endpoint", "created_at", "status"], name="hp_delivery_endpoint_time_idx"),
            # Ordered delivery: an endpoint's unfinished deliveries in publish order, the head first
            # (``states.claim_heads``).  Only unfinished rows are in it, so it stays small.
            models.Index(fields=["endpoint", "event"], condition=Q(status__in=["pending", "retrying", "sending"]),
                         name="hp_delivery_line_idx"),
            # Polling endpoints: the poll line, and the kept rows no poll has numbered yet.
            models.Index(fields=["endpoint", "poll_seq"], condition=Q(poll_seq__isnull=False),
                         name="hp_delivery_poll_idx"),
            models.Index(fields=["endpoint", "event"], condition=Q(status="pending", poll_seq__isnull=True),
                         name="hp_delivery_poll_new_idx"),
        ]

    def __str__(self):
        return f"delivery {self.pk} of {self.event_id} to {self.endpoint_id}: {self.status}"


class Attempt(models.Model):
    """One HTTP request of a delivery, with what came back."""

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled"
        MANUAL = "manual"

    # Indexed by Meta.indexes (see Event.tenant): (delivery, -id), (endpoint, -started_at).
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts", db_index=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="attempts", db_index=False)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULED)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    succeeded = models.BooleanField()
    # Text, not varchar: redaction may lengthen a URL that was valid at its full 2,048 characters.
    request_url = models.TextField()
    request_headers = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error_class = models.CharField(max_length=128, blank=True)
    error_message = models.CharField(max_length=1024, blank=True)
    # Which of the endpoint's URLs this attempt went to: its ``url``, or its ``fallback_url`` after the url failed.
    target = models.CharField(max_length=16, default="url", db_default="url",  # also rows written in SQL
                              choices=[("url", "url"), ("fallback_url", "fallback_url")])

    class Meta:
        db_table = "hookplatform_attempt"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["delivery", "-id"], name="hp_attempt_delivery_idx"),
            models.Index(fields=["endpoint", "-started_at"], name="hp_attempt_endpoint_idx"),
            # Recent failures only (the dashboard's top failing endpoints).
            models.Index(fields=["started_at"], condition=Q(succeeded=False), name="hp_attempt_failed_idx"),
        ]

    def __str__(self):
        return f"attempt {self.pk} of delivery {self.delivery_id}"


class EndpointState(models.Model):
    """What the send path keeps about an endpoint: its health and its rate-limit window.

    Delivery's own row beside the endpoint (``endpoint.send_state``), so the
    columns every worker writes belong to the app that writes them. A row is
    made the first time one is needed (``rate_limit``, ``endpoint_health``);
    an endpoint without one was never limited nor sent to: not failing.
    """

    endpoint = models.OneToOneField(Endpoint, on_delete=models.CASCADE, primary_key=True,
                                    related_name="send_state")
    # Start of the current run of failures; cleared by any success.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # The rate limit's current one-second window (Unix second) and requests sent in it.
    rate_window = models.BigIntegerField(default=0)
    rate_count = models.PositiveIntegerField(default=0)
    # Polling endpoints: the last place numbered in the poll line, and the consumer's committed place
    # (everything up to it is acknowledged), with when it was committed.
    poll_numbered = models.BigIntegerField(default=0, db_default=0)
    poll_committed = models.BigIntegerField(default=0, db_default=0)
    poll_committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "hookplatform_endpoint_state"

    def __str__(self):
        return f"send state of {self.endpoint_id}"


class WorkerNode(models.Model):
    """A running worker node announcing itself (``delivery.heartbeat``): one row per start of a node."""

    node = models.CharField(primary_key=True, max_length=255)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "hookplatform_worker_node"

    def __str__(self):
        return self.node
