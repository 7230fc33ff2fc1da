"""The raw ceiling: a bare ``requests.Session`` loop POSTing the same signed bodies to the same receiver."""

import time

import requests

from bench import harness


def measure(count, endpoints, padding):
    """(received, seconds): ``count`` ~1 KB POSTs, each signed in the loop, over one keep-alive session."""
    from django.utils import timezone

    from delivery.wire import build_request, render_body
    from subscriptions.secrets import generate_secret

    receiver = harness.ReceiverProcess()
    try:
        secret = generate_secret()
        bodies = [render_body("bench.tick", {"n": i, "padding": "x" * padding}, timezone.now())
                  for i in range(count)]
        session = requests.Session()
        start = time.time()
        for i, body in enumerate(bodies):
            request = build_request(url=receiver.url(f"/raw{i % endpoints}"), msg_id=f"msg_raw{i}",
                                    body=body, secrets=[secret], custom_headers={})
            session.post(request.url, data=request.body, headers=request.headers, timeout=10).close()
        seconds = time.time() - start
        receiver.wait_for(count, timeout=10)
        return receiver.count(), seconds
    finally:
        receiver.stop()
