"""Short, correct code that verifies our signatures, in three languages, with each endpoint's header names.

Standard Webhooks: ``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}``
under the base64-decoded secret after ``whsec_``; the signature header may
hold several entries, one per secret that signs (during a rotation, two).
Tests run each snippet against ``delivery.signing.sign``.
"""

from dataclasses import dataclass

from delivery.wire import SIGNATURE_HEADERS
from subscriptions.models import Endpoint

PYTHON = '''import base64, hashlib, hmac, time

def verify(secret, headers, body, tolerance=300):
    """True if body (the raw bytes) carries a valid, fresh signature."""
    msg_id, timestamp = headers["{id}"], headers["{timestamp}"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{{msg_id}}.{{timestamp}}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, entry.partition(",")[2])
               for entry in headers["{signature}"].split() if entry.startswith("v1,"))
'''

JAVASCRIPT = '''const crypto = require("node:crypto");

// rawBody: the request body as a Buffer, before any JSON parsing.
function verify(secret, headers, rawBody, tolerance = 300) {{
  const id = headers["{id}"], timestamp = headers["{timestamp}"];
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > tolerance) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = crypto.createHmac("sha256", key)
    .update(`${{id}}.${{timestamp}}.`).update(rawBody).digest();
  return headers["{signature}"].split(" ").some((entry) => {{
    const [version, signature] = entry.split(",");
    const given = Buffer.from(signature || "", "base64");
    return version === "v1" && given.length === expected.length
      && crypto.timingSafeEqual(given, expected);
  }});
}}
'''

PHP = '''<?php
// $headers: lower-case names; $body: the raw request body (file_get_contents('php://input')).
function verify_webhook(string $secret, array $headers, string $body, int $tolerance = 300): bool {{
    $id = $headers['{id}'];
    $timestamp = $headers['{timestamp}'];
    if (abs(time() - (int) $timestamp) > $tolerance) return false;
    $key = base64_decode(preg_replace('/^whsec_/', '', $secret));
    $expected = base64_encode(hash_hmac('sha256', "$id.$timestamp.$body", $key, true));
    foreach (explode(' ', $headers['{signature}']) as $entry) {{
        [$version, $signature] = array_pad(explode(',', $entry, 2), 2, '');
        if ($version === 'v1' && hash_equals($expected, $signature)) return true;
    }}
    return false;
}}
'''


@dataclass(frozen=True)
class Snippet:
    language: str
    code: str


@dataclass(frozen=True)
class Scheme:
    """One signature scheme the tenant's endpoints use: its header names and the snippets that read them."""

    name: str
    headers: dict
    snippets: list


def header_names(scheme="standard"):
    """The names of the id, timestamp and signature headers of ``scheme`` (``wire.SIGNATURE_HEADERS``)."""
    return dict(zip(("id", "timestamp", "signature"), SIGNATURE_HEADERS[scheme], strict=True))


STANDARD_HEADERS = header_names("standard")


def snippets(names):
    return [Snippet("Python", PYTHON.format(**names)), Snippet("JavaScript (Node.js)", JAVASCRIPT.format(**names)),
            Snippet("PHP", PHP.format(**names))]


def tenant_schemes(tenant):
    """The schemes ``tenant``'s endpoints use, "standard" first (alone when it has no endpoint yet)."""
    used = set(Endpoint.objects.filter(tenant=tenant).values_list("signature_scheme", flat=True).distinct())
    names = [name for name in SIGNATURE_HEADERS if name in used] or ["standard"]
    return [Scheme(name, header_names(name), snippets(header_names(name))) for name in names]
