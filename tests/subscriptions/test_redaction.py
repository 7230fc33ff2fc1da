"""L5 and M2 at the level of the functions: what redaction hides and when a hidden credential is restored."""

import pytest
from django.core.exceptions import ValidationError

from subscriptions.redaction import redact_headers, redact_text, redact_url, restore_url


@pytest.mark.parametrize("url, shown", [
    ("https://hooks.example.com/in", "https://hooks.example.com/in"),
    ("https://tok@hooks.example.com/in", "https://<redacted>@hooks.example.com/in"),
    ("https://u:p@[::1]:8443/in", "https://u:<redacted>@[::1]:8443/in"),
    ("https://h.example/?Token=a&X-Amz-Signature=b&client_secret=c&page=2&flag",
     "https://h.example/?Token=<redacted>&X-Amz-Signature=<redacted>&client_secret=<redacted>&page=2&flag"),
    ("https://h.example/?api%5Fkey=a+b", "https://h.example/?api%5Fkey=<redacted>"),
])
def test_redact_url(url, shown):
    """L5: user-only credentials and credential-like query values are hidden; the rest stays as written."""
    assert redact_url(url) == shown
    assert redact_url(shown) == shown


def test_only_the_platforms_public_headers_are_logged():
    """L5: X-Pass, X-Credential, Proxy-Authorization... and every other custom value read <redacted>."""
    logged = redact_headers({"X-Pass": "a", "X-Credential": "b", "X-Access": "c", "Proxy-Authorization": "d",
                             "X-Region": "eu", "webhook-id": "msg_1", "webhook-signature": "v1,x"})
    assert logged == {"X-Pass": "<redacted>", "X-Credential": "<redacted>", "X-Access": "<redacted>",
                      "Proxy-Authorization": "<redacted>", "X-Region": "<redacted>", "webhook-id": "msg_1",
                      "webhook-signature": "<redacted>"}


def test_redact_text_hides_every_credential_of_the_url():
    """L5: error text naming the URL loses its password, user token and query tokens."""
    text = "failed: https://tok1@h.example/x?sig=sg2&n=1 and u:pw3"
    assert redact_text(text, "https://tok1@h.example/x?sig=sg2&n=1") == \
        "failed: https://<redacted>@h.example/x?sig=<redacted>&n=1 and u:pw3"
    assert "pw3" not in redact_text(text, "https://u:pw3@h.example/")


def test_restore_url_only_for_the_same_origin():
    """M2: scheme, host and port must match for a stored credential to be put back."""
    stored = "https://u:pw@h.example/in?token=tk&n=1"
    assert restore_url("https://u:<redacted>@H.example:443/v2?token=<redacted>", stored) == \
        "https://u:pw@H.example:443/v2?token=tk"
    for moved in ("http://u:<redacted>@h.example/in", "https://u:<redacted>@h.example:8443/in",
                  "https://u:<redacted>@evil.example/in", "https://evil.example/?token=<redacted>"):
        with pytest.raises(ValidationError):
            restore_url(moved, stored)
    with pytest.raises(ValidationError):
        restore_url("https://h.example/in?other=<redacted>", stored)


def test_restore_url_needs_a_stored_credential_and_a_parsable_url():
    """M2: ``<redacted>`` where nothing is stored is refused; an unparsable URL is left to validation."""
    from subscriptions.redaction import has_redacted_parts, origin

    with pytest.raises(ValidationError):
        restore_url("https://u:<redacted>@h.example/in", "https://h.example/in")
    assert not has_redacted_parts("http://[::1") and origin("http://[::1") == ("http://[::1", None, None)
