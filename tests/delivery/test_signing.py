"""Signatures: pinned vectors, and agreement with the ``standardwebhooks`` package both ways."""

import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from delivery import wire
from delivery.signing import VerificationError, sign, verify
from delivery.wire import signature_header
from subscriptions.redaction import redact_headers

# The Standard Webhooks specification's own example.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = '{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

OTHER_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU="


def headers_for(secrets, body=BODY, msg_id=MSG_ID, timestamp=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"webhook-id": msg_id, "webhook-timestamp": timestamp,
            "webhook-signature": signature_header(secrets, msg_id, timestamp, body.encode())}


def test_pinned_vector():
    assert sign(SECRET, MSG_ID, TIMESTAMP, BODY) == EXPECTED
    assert sign(SECRET, MSG_ID, str(TIMESTAMP), BODY.encode()) == EXPECTED


def test_one_entry_per_secret_in_order():
    header = signature_header([SECRET, OTHER_SECRET], MSG_ID, TIMESTAMP, BODY.encode())
    assert header.split(" ") == [EXPECTED, sign(OTHER_SECRET, MSG_ID, TIMESTAMP, BODY)]


def test_standardwebhooks_verifies_ours():
    headers = headers_for([SECRET, OTHER_SECRET])
    for secret in (SECRET, OTHER_SECRET):
        assert Webhook(secret).verify(BODY, headers) == {"test": 2432232314}


def test_we_verify_standardwebhooks():
    now = datetime.now(tz=UTC)
    signature = Webhook(SECRET).sign(MSG_ID, now, BODY)
    headers = {"Webhook-Id": MSG_ID, "Webhook-Timestamp": str(int(now.timestamp())),
               "Webhook-Signature": signature}
    assert verify(SECRET, headers, BODY) == MSG_ID
    assert verify(SECRET, headers, BODY.encode()) == MSG_ID


def test_standardwebhooks_rejects_a_foreign_secret():
    with pytest.raises(WebhookVerificationError):
        Webhook(OTHER_SECRET).verify(BODY, headers_for([SECRET]))


@pytest.mark.parametrize("tamper", [
    lambda h, b: (h, b.replace("2432232314", "2432232315")),
    lambda h, b: ({**h, "webhook-id": "msg_other"}, b),
    lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}, b),
    lambda h, b: ({**h, "webhook-signature": "v1," + "A" * 44}, b),
    lambda h, b: ({**h, "webhook-signature": h["webhook-signature"].replace("v1,", "v2,")}, b),
    lambda h, b: ({**h, "webhook-signature": ""}, b),
])
def test_verify_rejects_tampering(tamper):
    headers, body = tamper(headers_for([SECRET]), BODY)
    with pytest.raises(VerificationError):
        verify(SECRET, headers, body)


def test_verify_rejects_a_foreign_secret():
    with pytest.raises(VerificationError, match="no matching signature"):
        verify(OTHER_SECRET, headers_for([SECRET]), BODY)


@pytest.mark.parametrize("skew", [-301, 301, -3600])
def test_verify_rejects_stale_or_future_timestamps(skew):
    headers = headers_for([SECRET], timestamp=int(time.time()) + skew)
    with pytest.raises(VerificationError, match="tolerance"):
        verify(SECRET, headers, BODY)


def test_verify_tolerance_is_configurable():
    headers = headers_for([SECRET], timestamp=int(time.time()) - 1000)
    assert verify(SECRET, headers, BODY, tolerance=2000) == MSG_ID


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_verify_rejects_missing_headers(missing):
    headers = headers_for([SECRET])
    del headers[missing]
    with pytest.raises(VerificationError, match=f"missing header {missing}"):
        verify(SECRET, headers, BODY)


def test_verify_rejects_a_non_integer_timestamp():
    headers = {**headers_for([SECRET]), "webhook-timestamp": "soon"}
    with pytest.raises(VerificationError, match="integer"):
        verify(SECRET, headers, BODY)


def test_verify_accepts_any_of_several_signatures():
    assert verify(OTHER_SECRET, headers_for([SECRET, OTHER_SECRET]), BODY) == MSG_ID


def test_the_svix_scheme_sends_the_same_values_under_svix_names():
    args = {"url": "https://example.com/h", "msg_id": "msg_1", "body": '{"a":1}', "custom_headers": {"X-A": "b"},
            "secrets": ["whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], "timestamp": 1700000000}
    standard, svix = wire.build_request(**args).headers, wire.build_request(**args, signature_scheme="svix").headers
    renamed = {name.replace("webhook-", "svix-"): value for name, value in standard.items()}
    assert svix == renamed and not any(name.startswith("webhook-") for name in svix)
    assert redact_headers(svix)["svix-signature"] == "<redacted>" and redact_headers(svix)["svix-id"] == "msg_1"
