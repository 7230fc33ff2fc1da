"""``python manage.py webhooks_recover ENDPOINT_ID --since 2d``: resend an endpoint's failed deliveries."""

import argparse
import sys
from datetime import UTC, timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from delivery.models import Delivery
from delivery.operations import recover_endpoint
from subscriptions import conf
from subscriptions.api.scoping import ENDPOINT_ID
from subscriptions.management.progress import ProgressBar
from subscriptions.models import Endpoint


def parse_since(value):
    """An ISO time (UTC if naive) or an age back from now (``6h``, ``2d``)."""
    moment = parse_datetime(value)
    if moment is not None:
        return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)
    try:
        return timezone.now() - timedelta(seconds=conf.parse_age(value))
    except (TypeError, ValueError):
        raise CommandError(f"--since {value!r} is neither an ISO time nor an age such as 2d") from None


class Command(BaseCommand):
    help = "Resend every failed delivery to an endpoint since a time, with a progress bar on a terminal."

    def add_arguments(self, parser):
        parser.add_argument("endpoint_id")
        parser.add_argument("--since", required=True, help="ISO time, or an age such as 6h or 2d")
        parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                            help="draw a progress bar (default: when run on a terminal)")

    def handle(self, *args, endpoint_id, since, progress, **options):
        # Shape first: a NUL or an overlong id would reach PostgreSQL as a DataError, not "no endpoint".
        endpoint = Endpoint.objects.filter(pk=endpoint_id).first() if ENDPOINT_ID.match(endpoint_id) else None
        if endpoint is None:
            raise CommandError(f"no endpoint {endpoint_id}")
        since = parse_since(since)
        show_bar = sys.stderr.isatty() if progress is None else progress
        bar = None
        if show_bar:
            total = Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.FAILED,
                                            created_at__gte=since).count()
            bar = ProgressBar({"recovered": total}, sys.stderr)
        try:
            count = recover_endpoint(endpoint, since=since,
                                     progress=(lambda claimed: bar("recovered", claimed)) if bar else None)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        self.stdout.write(f"resending {count} failed deliveries to {endpoint.pk} since {since:%Y-%m-%d %H:%M:%S} UTC")
