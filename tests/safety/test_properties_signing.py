"""Property tests of the signature: it round-trips, any tampering breaks it, and it is the standard one."""

import base64
import time
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from delivery.signing import VerificationError, sign, verify
from delivery.wire import signature_header
from tests.safety.properties import PROPERTY

secrets = st.binary(min_size=24, max_size=64).map(lambda raw: "whsec_" + base64.b64encode(raw).decode())
msg_ids = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=64)
bodies = st.binary(max_size=2048)
text_bodies = st.text(max_size=1024)


def headers_for(secret, msg_id, timestamp, body):
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, msg_id, str(timestamp), body)}


def now():
    return int(time.time())


@PROPERTY
@given(secret=secrets, msg_id=msg_ids, body=bodies)
def test_what_is_signed_verifies(tried, secret, msg_id, body):
    tried()
    assert verify(secret, headers_for(secret, msg_id, now(), body), body) == msg_id


@PROPERTY
@given(secret=secrets, msg_id=msg_ids, body=bodies, other_id=msg_ids)
def test_another_id_fails(tried, secret, msg_id, body, other_id):
    assume(other_id != msg_id)
    tried()
    headers = {**headers_for(secret, msg_id, now(), body), "webhook-id": other_id}
    with pytest.raises(VerificationError):
        verify(secret, headers, body)


@PROPERTY
@given(secret=secrets, msg_id=msg_ids, body=bodies, skew=st.integers(-299, 299).filter(bool))
def test_another_timestamp_fails_even_within_the_tolerance(tried, secret, msg_id, body, skew):
    tried()
    signed_at = now()
    headers = {**headers_for(secret, msg_id, signed_at, body), "webhook-timestamp": str(signed_at + skew)}
    with pytest.raises(VerificationError):
        verify(secret, headers, body, tolerance=600)


@PROPERTY
@given(secret=secrets, msg_id=msg_ids, body=bodies, other_body=bodies)
def test_another_body_fails(tried, secret, msg_id, body, other_body):
    assume(other_body != body)
    tried()
    with pytest.raises(VerificationError):
        verify(secret, headers_for(secret, msg_id, now(), body), other_body)


@PROPERTY
@given(secret=secrets, msg_id=msg_ids, body=bodies, data=st.data())
def test_any_changed_byte_of_the_signature_fails(tried, secret, msg_id, body, data):
    headers = headers_for(secret, msg_id, now(), body)
    signature = headers["webhook-signature"]
    position = data.draw(st.integers(0, len(signature) - 1), label="position")
    replacement = data.draw(st.characters(min_codepoint=33, max_codepoint=126), label="replacement")
    assume(replacement != signature[position])
    tried()
    headers["webhook-signature"] = signature[:position] + replacement + signature[position + 1:]
    with pytest.raises(VerificationError):
        verify(secret, headers, body)


@PROPERTY
@given(secret=secrets, other=secrets, msg_id=msg_ids, body=bodies)
def test_another_secret_fails(tried, secret, other, msg_id, body):
    assume(other != secret)
    tried()
    with pytest.raises(VerificationError):
        verify(other, headers_for(secret, msg_id, now(), body), body)


@PROPERTY
@given(secret=secrets, msg_id=msg_ids, body=text_bodies)
def test_standardwebhooks_computes_the_same_signature(tried, secret, msg_id, body):
    tried()
    timestamp = now()
    ours = sign(secret, msg_id, str(timestamp), body.encode())
    assert ours == Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body)
    Webhook(secret).verify(body.encode(), headers_for(secret, msg_id, timestamp, body), json_parse=False)


@PROPERTY
@given(secret=secrets, old=secrets, msg_id=msg_ids, body=text_bodies, tampered=text_bodies)
def test_standardwebhooks_accepts_rotation_headers_and_refuses_tampering(tried, secret, old, msg_id, body,
                                                                          tampered):
    assume(tampered != body)
    tried()
    timestamp = str(now())
    headers = {"webhook-id": msg_id, "webhook-timestamp": timestamp,
               "webhook-signature": signature_header([secret, old], msg_id, timestamp, body.encode())}
    for key in (secret, old):
        Webhook(key).verify(body, headers, json_parse=False)
        with pytest.raises(WebhookVerificationError):
            Webhook(key).verify(tampered, headers, json_parse=False)
