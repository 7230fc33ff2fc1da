"""``python manage.py webhooks_purge --older-than 30d``: delete old attempts, deliveries and events."""

import argparse
import sys
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from delivery import retention
from subscriptions import conf
from subscriptions.management.progress import reporter


class Command(BaseCommand):
    help = "Delete attempts, finished deliveries and events older than an age, in bounded batches."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help="an age: seconds or 90m, 12h, 30d, 2w")
        parser.add_argument("--batch-size", type=int, default=retention.BATCH_SIZE)
        parser.add_argument("--max-seconds", type=float, default=None, help="stop after this long")
        parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                            help="draw a progress bar (default: when run on a terminal)")
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args, older_than, batch_size, max_seconds, progress, dry_run, **options):
        try:
            seconds = conf.parse_age(older_than)
        except ValueError as exc:
            raise CommandError(str(exc))
        if seconds is None:
            raise CommandError("--older-than needs an age such as 30d")
        show_bar = sys.stderr.isatty() if progress is None else progress
        totals = None
        if show_bar or dry_run:
            totals = retention.count_old(timezone.now() - timedelta(seconds=seconds))
            self.stdout.write("to delete: " + ", ".join(f"{n} {t}" for t, n in totals.items()))
        if dry_run:
            return
        progress = reporter(self, totals, show_bar, options["verbosity"])
        try:
            report = retention.purge(seconds, batch_size=batch_size, max_seconds=max_seconds, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc))
        summary = ", ".join(f"{n} {t}" for t, n in report.deleted.items())
        self.stdout.write(f"deleted {summary} older than {report.cutoff:%Y-%m-%d %H:%M:%S} UTC"
                          + ("" if report.complete else " (stopped at --max-seconds; run again)"))

