"""``python manage.py webhooks_reencrypt``: re-encrypt stored secrets under the first encryption key.

Rotating ``WEBHOOKS_ENCRYPTION_KEYS``: put the new key first and keep the old
one after it, deploy, run this command, then drop the old key.
"""

import argparse
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from subscriptions import rekeying
from subscriptions.management.progress import reporter


class Command(BaseCommand):
    help = "Re-encrypt every signing secret, URL credential and header value with the first encryption key."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=rekeying.BATCH_SIZE)
        parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                            help="draw a progress bar (default: when run on a terminal)")

    def handle(self, *args, batch_size, progress, **options):
        show_bar = sys.stderr.isatty() if progress is None else progress
        totals = rekeying.count()
        self.stdout.write("to re-encrypt: " + ", ".join(f"{n} {t}" for t, n in totals.items()))
        bar = reporter(self, totals, show_bar, options["verbosity"])
        try:
            done = rekeying.reencrypt_all(batch_size=batch_size, progress=bar)
        except (ValueError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc))
        self.stdout.write("re-encrypted " + ", ".join(f"{n} {t}" for t, n in done.items())
                          + " with the first key of WEBHOOKS_ENCRYPTION_KEYS")
