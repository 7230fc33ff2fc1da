"""Time every admin list page (and the dashboard) on PostgreSQL with 1,000,000 attempts and 100,000 events.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_admin HOOKPLATFORM_VAR_DIR=var/admin \\
        .venv/bin/python -m bench.admin_list_pages [--refill] [--indexes create|drop|keep] [--runs 5]

The first run fills the database with COPY (the tables are emptied first; a
filled database is reused unless ``--refill``).  Each page is fetched once
to warm up, then ``--runs`` times with Django's test client as a superuser;
the median time and the number of SQL queries are printed.  ``--indexes
create`` adds the indexes this module recommends (see ``RECOMMENDED``) before
timing, ``drop`` removes them, so that both can be measured.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

EVENTS = 100_000
ATTEMPTS = 1_000_000
TENANTS = 100
ENDPOINTS_PER_TENANT = 5
EVENT_TYPES = [f"{noun}.{verb}" for noun in ("invoice", "call", "customer", "payment", "order")
               for verb in ("created", "updated", "paid", "ended")]
SPAN = timedelta(days=7)  # the history spreads over the last week, newest ids last
FILL_DEADLINE_S = 900

# Indexes the admin's filters and dashboard would use; what the numbers say about each is in the report.
RECOMMENDED = {
    "hp_delivery_created_idx": "CREATE INDEX {c} hp_delivery_created_idx ON hookplatform_delivery (created_at)",
    "hp_attempt_failed_idx": "CREATE INDEX {c} hp_attempt_failed_idx ON hookplatform_attempt (started_at) "
                             "WHERE NOT succeeded",
    "hp_event_idempotency_idx": "CREATE INDEX {c} hp_event_idempotency_idx ON hookplatform_event "
                                "(idempotency_key) WHERE idempotency_key IS NOT NULL",
    "hp_delivery_status_id_idx": "CREATE INDEX {c} hp_delivery_status_id_idx ON hookplatform_delivery "
                                 "(status, id DESC)",
}


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hookplatform.settings")
    import django

    django.setup()
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (this bench fills it with a million rows).")


def ulid_at(moment, rng):
    from subscriptions.ids import _ALPHABET

    value = (int(moment.timestamp() * 1000) << 80) | rng.getrandbits(80)
    chars = []
    for _ in range(26):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))


class Filler:
    """Writes the synthetic history with COPY, in id order, every count fixed in advance."""

    def __init__(self, cursor, now):
        self.cursor, self.now, self.rng = cursor, now, random.Random(42)
        self.started = time.monotonic()

    def check_deadline(self):
        if time.monotonic() - self.started > FILL_DEADLINE_S:
            sys.exit(f"fill took over {FILL_DEADLINE_S} s: stopped")

    def copy(self, table, columns, rows):
        with self.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for n, row in enumerate(rows):
                copy.write_row(row)
                if n % 50_000 == 0:
                    self.check_deadline()

    def fill(self):
        self.cursor.execute("TRUNCATE hookplatform_attempt, hookplatform_delivery, hookplatform_event, "
                            "hookplatform_endpoint_secret, hookplatform_endpoint, hookplatform_api_key, "
                            "hookplatform_event_type, hookplatform_tenant RESTART IDENTITY CASCADE")
        self.copy("hookplatform_tenant", ["uid", "name", "metadata", "contact_email", "created_at"],
                  ((f"org_{n}", f"Customer {n}", "{}", f"ops@org{n}.example.com", self.now - SPAN)
                   for n in range(1, TENANTS + 1)))
        self.copy("hookplatform_event_type", ["name", "description", "archived", "created_at", "updated_at"],
                  ((name, f"When something is {name.split('.')[1]}", False, self.now, self.now)
                   for name in EVENT_TYPES))
        self.endpoints = self.fill_endpoints()
        deliveries = self.fill_events()
        self.fill_deliveries_and_attempts(deliveries)
        self.cursor.execute("SELECT setval(pg_get_serial_sequence('hookplatform_delivery', 'id'), "
                            "(SELECT max(id) FROM hookplatform_delivery))")
        self.cursor.execute("SELECT setval(pg_get_serial_sequence('hookplatform_attempt', 'id'), "
                            "(SELECT max(id) FROM hookplatform_attempt))")
        self.cursor.execute("ANALYZE")

    def fill_endpoints(self):
        endpoints = []
        for tenant in range(1, TENANTS + 1):
            for n in range(ENDPOINTS_PER_TENANT):
                endpoints.append((f"ep_{ulid_at(self.now - SPAN, self.rng)}", tenant,
                                  f"https://hooks.org{tenant}.example.com/webhooks/{n}"))
        self.copy("hookplatform_endpoint",
                  ["id", "tenant_id", "url", "url_encrypted", "description", "event_types", "headers", "metadata",
                   "disabled", "disabled_reason", "created_at", "updated_at"],
                  ((pk, tenant, url, "", "", "[]", '{"Authorization": "Bearer abc"}', "{}", n % 97 == 0,
                    "The receiver answered 410 Gone." if n % 97 == 0 else "", self.now - SPAN, self.now)
                   for n, (pk, tenant, url) in enumerate(endpoints)))
        self.copy("hookplatform_endpoint_state", ["endpoint_id", "failing_since", "rate_window", "rate_count"],
                  ((pk, self.now - timedelta(hours=3) if n % 11 == 0 else None, 0, 0)
                   for n, (pk, _, _) in enumerate(endpoints)))
        self.copy("hookplatform_endpoint_secret", ["endpoint_id", "key", "created_at"],
                  ((pk, "whsec_" + "A" * 43 + "=", self.now - SPAN) for pk, _, _ in endpoints))
        return endpoints

    def fill_events(self):
        """Events evenly over the span; each goes to 2 or 3 of its tenant's endpoints."""
        events, deliveries = [], []
        step = SPAN / EVENTS
        for n in range(EVENTS):
            at = self.now - SPAN + step * n
            tenant = self.rng.randint(1, TENANTS)
            event_type = EVENT_TYPES[n % len(EVENT_TYPES)]
            body = json.dumps({"type": event_type, "timestamp": at.isoformat(), "data": {"n": n, "amount": 4200}})
            event_id = f"msg_{ulid_at(at, self.rng)}"
            events.append((event_id, tenant, event_type, body, f"key-{n}", at, at, at))
            targets = self.endpoints[(tenant - 1) * ENDPOINTS_PER_TENANT:tenant * ENDPOINTS_PER_TENANT]
            for endpoint in targets[: 2 + n % 2]:
                deliveries.append((event_id, endpoint[0], tenant, at))
        self.copy("hookplatform_event", ["id", "tenant_id", "event_type", "body", "idempotency_key",
                                         "occurred_at", "created_at", "fanned_out_at"], events)
        return deliveries

    def fill_deliveries_and_attempts(self, deliveries):
        per_delivery = ATTEMPTS / len(deliveries)
        plan, total = [], 0
        for n, (event_id, endpoint_id, tenant, at) in enumerate(deliveries):
            count = int((n + 1) * per_delivery) - int(n * per_delivery)
            status = self.status_for(n, at)
            plan.append((n + 1, event_id, endpoint_id, tenant, at, status, count))
            total += count
        assert total == ATTEMPTS
        self.copy("hookplatform_delivery",
                  ["id", "event_id", "endpoint_id", "tenant_id", "status", "attempt_count", "next_attempt_at",
                   "last_attempt_at", "last_response_status", "last_error", "created_at", "finished_at"],
                  (self.delivery_row(*row) for row in plan))
        self.copy("hookplatform_attempt",
                  ["delivery_id", "endpoint_id", "trigger", "started_at", "duration_ms", "succeeded", "request_url",
                   "request_headers", "response_status", "response_headers", "response_body", "error_class",
                   "error_message"],
                  (attempt for row in plan for attempt in self.attempt_rows(*row)))

    def status_for(self, n, at):
        if self.now - at < timedelta(minutes=30) and n % 3 == 0:
            return "retrying" if n % 2 else "pending"
        return "failed" if n % 23 == 0 else "succeeded"

    def delivery_row(self, pk, event_id, endpoint_id, tenant, at, status, count):
        last = at + timedelta(seconds=5 * count)
        waiting = status in ("pending", "retrying")
        return (pk, event_id, endpoint_id, tenant, status, count, last if waiting else None, last,
                200 if status == "succeeded" else 503, "" if status == "succeeded" else "HTTP 503", at,
                None if waiting else last)

    def attempt_rows(self, pk, event_id, endpoint_id, tenant, at, status, count):
        for k in range(count):
            ok = status == "succeeded" and k == count - 1
            yield (pk, endpoint_id, "scheduled", at + timedelta(seconds=5 * k), self.rng.randint(20, 900), ok,
                   f"https://hooks.org{tenant}.example.com/webhooks/0",
                   json.dumps({"webhook-id": event_id, "webhook-signature": "<redacted>"}),
                   200 if ok else 503, '{"content-type": "application/json"}',
                   '{"ok": true}' if ok else '{"error": "unavailable"}', "", "")


def ensure_filled(refill):
    from django.db import connection

    from delivery.models import Attempt

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'hookplatform_attempt'")
        estimate = cursor.fetchone()[0]
    if not refill and estimate >= ATTEMPTS * 0.9 and Attempt.objects.exists():
        print(f"reusing the filled database (~{estimate:,} attempts)")
        return
    started = time.monotonic()
    with connection.cursor() as cursor:
        Filler(cursor.cursor, datetime.now(UTC)).fill()
    print(f"filled {EVENTS:,} events and {ATTEMPTS:,} attempts in {time.monotonic() - started:.0f} s")


def set_indexes(mode):
    from django.db import connection

    if mode == "keep":
        return
    with connection.cursor() as cursor:
        for name, sql in RECOMMENDED.items():
            cursor.execute(sql.format(c="IF NOT EXISTS") if mode == "create" else f"DROP INDEX IF EXISTS {name}")
        cursor.execute("DROP INDEX IF EXISTS hp_attempt_started_idx")  # tried and rejected: see the report
        cursor.execute("ANALYZE")
    print(f"recommended indexes: {'created' if mode == 'create' else 'dropped'}")


def pages():
    """(label, url) of every list page, its filters and searches, the dashboard and a few change pages."""
    from django.urls import reverse

    from delivery.models import Attempt, Delivery, Event
    from subscriptions.models import Endpoint

    def changelist(name, **params):
        from urllib.parse import urlencode

        url = reverse(f"admin:{name}_changelist")
        return f"{url}?{urlencode(params)}" if params else url

    event = Event.objects.order_by("-id").values("id", "idempotency_key")[500]
    endpoint = Endpoint.objects.order_by("pk").first()
    delivery = Delivery.objects.filter(status="failed").order_by("-id").first()
    return [
        ("index", reverse("admin:index")),
        ("dashboard", reverse("admin:webhooks_dashboard")),
        ("tenants", changelist("hookplatform_subscriptions_tenant")),
        ("event types", changelist("hookplatform_subscriptions_eventtype")),
        ("endpoints", changelist("hookplatform_subscriptions_endpoint")),
        ("endpoints ?health=failing", changelist("hookplatform_subscriptions_endpoint", health="failing")),
        ("api keys", changelist("hookplatform_subscriptions_apikey")),
        ("events", changelist("hookplatform_delivery_event")),
        ("events ?event_type", changelist("hookplatform_delivery_event", event_type="invoice.paid")),
        ("events ?tenant_uid", changelist("hookplatform_delivery_event", tenant_uid="org_7")),
        ("events ?within=24h", changelist("hookplatform_delivery_event", within="24h")),
        ("events ?q=idempotency key", changelist("hookplatform_delivery_event", q=event["idempotency_key"])),
        ("deliveries", changelist("hookplatform_delivery_delivery")),
        ("deliveries page 100", changelist("hookplatform_delivery_delivery", p=100)),
        ("deliveries ?status=failed", changelist("hookplatform_delivery_delivery", status="failed")),
        ("deliveries ?status=retrying", changelist("hookplatform_delivery_delivery", status="retrying")),
        ("deliveries ?status=failed&within=24h",
         changelist("hookplatform_delivery_delivery", status="failed", within="24h")),
        ("deliveries ?tenant_uid", changelist("hookplatform_delivery_delivery", tenant_uid="org_7")),
        ("deliveries ?event_type", changelist("hookplatform_delivery_delivery", event_type="call.ended")),
        ("deliveries ?q=event id", changelist("hookplatform_delivery_delivery", q=event["id"])),
        ("deliveries ?q=idempotency key", changelist("hookplatform_delivery_delivery", q=event["idempotency_key"])),
        ("deliveries ?q=endpoint url", changelist("hookplatform_delivery_delivery", q="hooks.org7.example.com")),
        ("deliveries ?q=tenant uid", changelist("hookplatform_delivery_delivery", q="org_7")),
        ("attempts", changelist("hookplatform_delivery_attempt")),
        ("attempts ?succeeded=no", changelist("hookplatform_delivery_attempt", succeeded__exact=0)),
        ("attempts ?within=24h", changelist("hookplatform_delivery_attempt", within="24h")),
        ("attempts ?q=event id", changelist("hookplatform_delivery_attempt", q=event["id"])),
        ("delivery page", reverse("admin:hookplatform_delivery_delivery_change", args=[delivery.pk])),
        ("event page", reverse("admin:hookplatform_delivery_event_change", args=[event["id"]])),
        ("endpoint page", reverse("admin:hookplatform_subscriptions_endpoint_change", args=[endpoint.pk])),
        ("attempt page",
         reverse("admin:hookplatform_delivery_attempt_change", args=[Attempt.objects.order_by("-id").first().pk])),
    ]


def time_pages(runs):
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    user, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    print(f"{'page':42} {'median ms':>10} {'max ms':>8} {'SQL ms':>8} {'queries':>8}")
    slowest = 0.0
    for label, url in pages():
        timings, sql, queries = time_page(client, url, runs)
        median = statistics.median(timings)
        slowest = max(slowest, median)
        print(f"{label:42} {median:10.1f} {max(timings):8.1f} {statistics.median(sql):8.1f} {len(queries):8d}")
    print(f"slowest median: {slowest:.1f} ms")


def time_page(client, url, runs):
    """Fetch ``url`` once to warm up, then ``runs`` times: (ms each, SQL ms each, the last run's queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(url).status_code == 200, url
    timings, sql = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        sql.append(sum(float(query["time"]) for query in queries.captured_queries) * 1000)
        assert response.status_code == 200, url
    return timings, sql, queries.captured_queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refill", action="store_true", help="empty the tables and fill them again")
    parser.add_argument("--indexes", choices=["create", "drop", "keep"], default="keep")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    ensure_filled(args.refill)
    set_indexes(args.indexes)
    time_pages(max(1, min(args.runs, 50)))


if __name__ == "__main__":
    main()
