"""Reveal (POST only, audited, never cached), rotate (showing until when the old one signs), verify snippets."""

import json
import shutil
import subprocess
import time

import pytest
from django.urls import reverse

from delivery.portal.snippets import JAVASCRIPT, PYTHON, STANDARD_HEADERS, header_names
from delivery.signing import sign
from subscriptions import create_endpoint, update_endpoint
from subscriptions.models import SecretAccess
from subscriptions.secrets import current_secret, generate_secret

pytestmark = pytest.mark.django_db


def test_secret_is_revealed_on_post_only(alice, alice_endpoint):
    secret = current_secret(alice_endpoint).reveal()
    page = alice.get(reverse("portal:endpoint", args=[alice_endpoint.pk])).content.decode()
    assert secret not in page and ">Reveal secret<" in page and ">Rotate secret<" in page
    assert alice.get(reverse("portal:endpoint-secret", args=[alice_endpoint.pk])).status_code == 405
    answer = alice.post(reverse("portal:endpoint-secret", args=[alice_endpoint.pk]))
    assert answer.status_code == 200 and secret in answer.content.decode()
    assert answer["Cache-Control"] == "private, no-store"
    assert SecretAccess.objects.get().actor == "portal user alice of org_alice"


def test_rotate_shows_until_when_the_old_secret_signs(alice, alice_endpoint, settings):
    settings.WEBHOOKS_SECRET_GRACE_PERIOD = 3600
    old = current_secret(alice_endpoint).reveal()
    answer = alice.post(reverse("portal:endpoint-rotate", args=[alice_endpoint.pk]), follow=True)
    retired = alice_endpoint.secrets.get(expires_at__isnull=False)
    assert retired.reveal() == old and current_secret(alice_endpoint).reveal() != old
    assert f"The previous secret keeps signing until {retired.expires_at:%Y-%m-%d %H:%M:%S}" in answer.content.decode()


def test_too_many_rotations_answer_429_with_the_reason(alice, alice_endpoint, settings):
    settings.WEBHOOKS_SECRET_ROTATIONS_PER_HOUR = 1
    alice.post(reverse("portal:endpoint-rotate", args=[alice_endpoint.pk]))
    answer = alice.post(reverse("portal:endpoint-rotate", args=[alice_endpoint.pk]))
    assert answer.status_code == 429 and "At most 1 rotations" in answer.content.decode()


def test_verifying_page_names_the_headers_and_has_three_languages(alice):
    page = alice.get(reverse("portal:verifying")).content.decode()
    for name in STANDARD_HEADERS.values():
        assert name in page
    assert ">Python<" in page and ">JavaScript (Node.js)<" in page and ">PHP<" in page


def _signed(secrets_, body=b'{"type":"invoice.paid","data":{}}', names=STANDARD_HEADERS):
    msg_id, timestamp = "msg_1", str(int(time.time()))
    signature = " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets_)
    return {names["id"]: msg_id, names["timestamp"]: timestamp, names["signature"]: signature}, body


def test_verifying_page_uses_the_svix_header_names_of_svix_endpoints(alice, alice_endpoint):
    update_endpoint(alice_endpoint, signature_scheme="svix")
    page = alice.get(reverse("portal:verifying")).content.decode()
    assert "<code>svix-id</code>" in page and 'headers[&quot;svix-signature&quot;]' in page and "webhook-id" not in page


def test_verifying_page_shows_each_scheme_when_the_endpoints_mix_them(alice, alice_endpoint):
    create_endpoint(alice_endpoint.tenant, url="https://alice.example.com/svix", signature_scheme="svix")
    page = alice.get(reverse("portal:verifying")).content.decode()
    assert page.index("“standard” scheme") < page.index("“svix” scheme")
    assert "<code>webhook-id</code>" in page and "<code>svix-id</code>" in page
    assert page.count(">Python<") == 2


def test_the_python_snippet_with_svix_names_verifies_an_svix_signed_message():
    names = header_names("svix")
    namespace = {}
    exec(PYTHON.format(**names), namespace)  # noqa: S102 (our own snippet, as shown)
    secret = generate_secret()
    headers, body = _signed([secret], names=names)
    assert set(headers) == {"svix-id", "svix-timestamp", "svix-signature"}
    assert namespace["verify"](secret, headers, body) and not namespace["verify"](generate_secret(), headers, body)


def test_python_snippet_verifies_our_signatures():
    namespace = {}
    exec(PYTHON.format(**STANDARD_HEADERS), namespace)  # noqa: S102 (our own snippet, as shown)
    secret, other = generate_secret(), generate_secret()
    headers, body = _signed([other, secret])
    assert namespace["verify"](secret, headers, body)
    assert not namespace["verify"](secret, headers, body + b" ")
    assert not namespace["verify"](generate_secret(), headers, body)
    stale = headers | {"webhook-timestamp": str(int(time.time()) - 3600)}
    assert not namespace["verify"](secret, stale, body)


@pytest.mark.skipif(not shutil.which("node"), reason="needs node")
def test_javascript_snippet_verifies_our_signatures():
    secret = generate_secret()
    headers, body = _signed([generate_secret(), secret])
    cases = [(secret, headers, body.decode(), True), (secret, headers, body.decode() + " ", False),
             (generate_secret(), headers, body.decode(), False)]
    script = JAVASCRIPT.format(**STANDARD_HEADERS) + (
        "const cases = JSON.parse(process.argv[1]);\n"
        "console.log(JSON.stringify(cases.map(([s, h, b]) => verify(s, h, Buffer.from(b)))));\n")
    done = subprocess.run(["node", "-e", script, json.dumps(cases)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [expected for *_, expected in cases]
