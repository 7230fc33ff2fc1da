"""``python manage.py webhooks_listen``: a local receiver that verifies and pretty-prints webhooks.

Test a receiver-to-be without a tunnel: it listens on 127.0.0.1, checks each
request's signature with ``delivery.signing.verify`` and prints it.  With
``--tenant UID --register`` it registers itself as an endpoint of that tenant
(reusing the one it registered before) and prints the secret, so that events
published for the tenant, and "send test event" in the API and the admin,
arrive here.  Registering needs ``WEBHOOKS_ALLOW_PRIVATE_NETWORKS`` on.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from delivery.signing import VerificationError, verify


def pretty_body(body):
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body.decode("utf-8", "replace")


def render(method, path, headers, body, verdict):
    lines = [f"--- {timezone.now():%H:%M:%S} {method} {path}  [{verdict}]"]
    lines += [f"{name}: {value}" for name, value in headers.items()
              if name.lower().startswith("webhook-") or name.lower() in ("content-type", "user-agent")]
    lines += ["", pretty_body(body), ""]
    return "\n".join(lines)


class Listener:
    """The HTTP side: verify, print, answer ``status`` (or 400 when the signature is wrong)."""

    def __init__(self, port, secret, status, write):
        self.secret, self.status, self.write = secret, status, write
        self.lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status, verdict = listener.judge(self.headers, body)
                with listener.lock:
                    listener.write(render("POST", self.path, self.headers, body, verdict))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True

    @property
    def port(self):
        return self.server.server_address[1]

    def judge(self, headers, body):
        if not self.secret:
            return self.status, "not verified: no secret given"
        try:
            verify(self.secret, headers, body)
        except VerificationError as exc:
            return 400, f"INVALID SIGNATURE: {exc}"
        return self.status, "verified"


def register_listener(tenant_uid, url, event_types):
    """This listener's endpoint of ``tenant_uid``: the one registered before, or a new one."""
    from subscriptions.endpoints import create_endpoint
    from subscriptions.models import Endpoint
    from subscriptions.secrets import reveal_secret

    endpoint = Endpoint.objects.filter(tenant__uid=tenant_uid, url=url).first()
    if endpoint is None:
        endpoint = create_endpoint(tenant_uid, url=url, event_types=event_types,
                                   description="webhooks_listen on this machine")
    return endpoint, reveal_secret(endpoint, actor="manage.py webhooks_listen")


class Command(BaseCommand):
    help = "Receive webhooks on 127.0.0.1, verify their signatures and print them."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
        parser.add_argument("--secret", help="the endpoint's whsec_... secret to verify with")
        parser.add_argument("--tenant", help="the tenant uid to register an endpoint for")
        parser.add_argument("--register", action="store_true", help="register this listener as an endpoint")
        parser.add_argument("--event-types", default="", help="comma-separated filter for --register")
        parser.add_argument("--status", type=int, default=200, help="status to answer verified requests with")

    def handle(self, *args, port, secret, tenant, register, event_types, status, **options):
        if register and not tenant:
            raise CommandError("--register needs --tenant UID")
        listener = Listener(port, secret, status, self._write)
        url = f"http://127.0.0.1:{listener.port}/"
        if register:
            try:
                endpoint, secret = register_listener(tenant, url, [t for t in event_types.split(",") if t])
            except ValidationError as exc:
                listener.server.server_close()
                raise CommandError(f"could not register {url}: {'; '.join(exc.messages)} "
                                   "(set WEBHOOKS_ALLOW_PRIVATE_NETWORKS=1 for a local listener)")
            listener.secret = secret
            self._write(f"registered endpoint {endpoint.pk} of tenant {tenant}\nsecret: {secret}")
        self._write(f"listening on {url}" + ("" if listener.secret else " (no secret: signatures not checked)"))
        try:
            listener.server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            listener.server.server_close()

    def _write(self, text):
        self.stdout.write(text)
        self.stdout.flush()
