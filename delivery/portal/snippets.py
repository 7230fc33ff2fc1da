"""Short, correct code that verifies our signatures, in three languages, with the tenant's header names.

Standard Webhooks: ``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}``
under the base64-decoded secret after ``whsec_``; the signature header may
hold several entries, one per secret that signs (during a rotation, two).
Tests run each snippet against ``delivery.signing.sign``.
"""

from dataclasses import dataclass

STANDARD_HEADERS = {"id": "webhook-id", "timestamp": "webhook-timestamp", "signature": "webhook-signature"}

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


def header_names(tenant):
    """The names of the id, timestamp and signature headers ``tenant``'s endpoints receive."""
    return dict(STANDARD_HEADERS)


def snippets(tenant):
    names = header_names(tenant)
    return [Snippet("Python", PYTHON.format(**names)), Snippet("JavaScript (Node.js)", JAVASCRIPT.format(**names)),
            Snippet("PHP", PHP.format(**names))]
