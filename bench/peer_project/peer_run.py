"""Commands the benchmark runs inside the peer's virtualenv.

    python peer_run.py setup URL [URL ...]   migrate, subscribe each URL to peerapp.Order/create
    python peer_run.py publish EVENTS        save EVENTS orders (one webhook per URL each)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")

import django  # noqa: E402
import peer_celery  # noqa: E402,F401  (first: django-webhook's task binds to the current app)

django.setup()


def setup(urls):
    from django.core.management import call_command
    from django_webhook.models import Webhook, WebhookEvent, WebhookSecret, WebhookTopic, populate_topics_from_settings
    from peerapp.models import Order

    call_command("migrate", run_syncdb=True, verbosity=0)
    populate_topics_from_settings()
    WebhookEvent.objects.all().delete()
    Webhook.objects.all().delete()
    Order.objects.all().delete()
    topic = WebhookTopic.objects.get(name="peerapp.Order/create")
    for url in urls:
        webhook = Webhook.objects.create(url=url, active=True)
        webhook.topics.add(topic)
        WebhookSecret.objects.create(webhook=webhook, token="bench-peer-secret-0123456789")


def publish(events):
    from peerapp.models import Order

    for i in range(events):
        Order.objects.create(n=i, padding="x" * 700)


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(sys.argv[2:])
    elif sys.argv[1] == "publish":
        publish(int(sys.argv[2]))
