"""Authentication to receivers: an mTLS client identity, a receiver's own CAs, OAuth2 client credentials.

Checked when an endpoint is saved (malformed PEM, a key that is not its
certificate's, a token URL that fails the SSRF check are 400s naming the
field), so no attempt fails for a mistake known in advance.  The TLS key and
the OAuth2 client secret are stored encrypted, like the signing secrets:
``credentials_to_send`` is the one call that decrypts them for a request,
``reveal_credentials`` the one that shows them (audited).
"""

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ValidationError

from subscriptions import encryption
from subscriptions.redaction import REDACTED, origin
from subscriptions.secrets import record_access
from subscriptions.ssrf import check_url
from subscriptions.validation import validate_text

MAX_PEM = 64 * 1024
MAX_OAUTH2_TEXT = 1024
TLS_FIELDS = ("tls_client_cert", "tls_client_key", "tls_ca_bundle")
OAUTH2_KEYS = ("token_url", "client_id", "client_secret", "scope", "audience")
OAUTH2_REQUIRED = ("token_url", "client_id", "client_secret")


def _certificates(pem, field):
    validate_text(pem, field, MAX_PEM)
    try:
        certificates = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        raise ValidationError(f"{field} is not PEM: one or more '-----BEGIN CERTIFICATE-----' blocks.",
                              code="invalid_pem") from None
    return certificates


def _private_key(pem):
    validate_text(pem, "tls_client_key", MAX_PEM)
    try:
        return serialization.load_pem_private_key(pem.encode(), password=None)
    except TypeError:
        raise ValidationError("tls_client_key is encrypted with a passphrase: give it unencrypted (it is "
                              "stored encrypted).", code="invalid_pem") from None
    except ValueError as exc:
        raise ValidationError(f"tls_client_key is not a PEM private key ({exc}).", code="invalid_pem") from None


def validate_certificate(pem):
    if pem:
        _certificates(pem, "tls_client_cert")


def validate_key(pem):
    if pem:
        _private_key(pem)


def validate_ca_bundle(pem):
    if pem:
        _certificates(pem, "tls_ca_bundle")


def _public(key):
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def tls_conflicts(fields):
    """Errors by field when the certificate and the key do not go together (each is valid alone)."""
    cert, key = fields.get("tls_client_cert") or "", fields.get("tls_client_key") or ""
    if cert and not key:
        return {"tls_client_key": ["tls_client_key is required with tls_client_cert."]}
    if key and not cert:
        return {"tls_client_cert": ["tls_client_cert is required with tls_client_key."]}
    if cert and _public(_certificates(cert, "tls_client_cert")[0].public_key()) != _public(
            _private_key(key).public_key()):
        return {"tls_client_key": ["tls_client_key is not the private key of tls_client_cert's (first) "
                                   "certificate."]}
    return {}


def _validate_oauth2_text(name, value):
    if name == "token_url":
        validate_text(value, "token_url", 2048)
    else:
        validate_text(value, name, MAX_OAUTH2_TEXT)
    if any(ord(ch) < 32 for ch in value):
        raise ValidationError(f"{name} has control characters.", code="invalid")


def validate_oauth2(value):
    """``None`` (none) or ``{token_url, client_id, client_secret, scope?, audience?}``; the token URL is an
    SSRF-checked target like the endpoint's own URL."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise ValidationError("oauth2 is an object with token_url, client_id, client_secret, and optionally "
                              "scope and audience; or null.", code="invalid")
    errors = [f"{name}: unknown field." for name in value if name not in OAUTH2_KEYS]
    errors += [f"{name}: required." for name in OAUTH2_REQUIRED if not value.get(name)]
    for name in OAUTH2_KEYS:
        if not value.get(name):
            continue
        try:
            _validate_oauth2_text(name, value[name])
            if name == "token_url":
                check_url(value[name])
        except ValidationError as exc:
            errors += [f"{name}: {message}" for message in exc.messages]
    if errors:
        raise ValidationError(errors, code="invalid")


def complete_changes(endpoint, changes, *, same_origin=True):
    """``changes`` with the stored credentials they keep: the other TLS fields when one changes, the
    client secret when ``oauth2`` omits it (or sends ``<redacted>``) for a token URL of the same origin.

    As with URL credentials and header values, a bearer token never follows the
    endpoint's URL to a new origin unless ``oauth2`` is given again in full.
    """
    changes = dict(changes)
    if any(name in changes for name in TLS_FIELDS):
        stored = dict(zip(TLS_FIELDS, tls_to_send(endpoint)))
        changes.update({name: stored[name] for name in TLS_FIELDS if name not in changes})
    oauth2 = changes.get("oauth2")
    if "oauth2" not in changes and endpoint.oauth2 and not same_origin:
        raise ValidationError({"oauth2": ["The URL points to a new origin: give oauth2 again with its "
                                          "client_secret (or null to drop it)."]})
    if isinstance(oauth2, dict) and oauth2.get("client_secret") in (None, REDACTED):
        stored = oauth2_to_send(endpoint)
        token_url = oauth2.get("token_url")
        if same_origin and stored and isinstance(token_url, str) and origin(token_url) == origin(
                stored["token_url"]):
            changes["oauth2"] = {**oauth2, "client_secret": stored["client_secret"]}
        else:
            raise ValidationError({"oauth2": ["client_secret: required (no stored secret for this token URL's "
                                              "origin, or the endpoint's URL moves to a new origin)."]})
    return changes


def assign(endpoint, name, value):
    """Store one validated field; the key and the client secret encrypted."""
    if name == "tls_client_key":
        endpoint.tls_client_key = encryption.encrypt(value) if value else ""
    elif name == "oauth2":
        endpoint.oauth2 = None if value is None else {
            **{key: value[key] for key in OAUTH2_KEYS if value.get(key)},
            "client_secret": encryption.encrypt(value["client_secret"]),
        }
    else:
        setattr(endpoint, name, value or "")


def tls_to_send(endpoint):
    """``(certificate, key, ca_bundle)`` in plain text, for a request or a save only."""
    key = encryption.decrypt(endpoint.tls_client_key) if endpoint.tls_client_key else ""
    return endpoint.tls_client_cert, key, endpoint.tls_ca_bundle


def oauth2_to_send(endpoint):
    """The OAuth2 client credentials with the secret decrypted, or None."""
    if not endpoint.oauth2:
        return None
    return {**endpoint.oauth2, "client_secret": encryption.decrypt(endpoint.oauth2["client_secret"])}


def shown_oauth2(endpoint):
    """The OAuth2 settings as they may be shown: everything but the client secret."""
    if not endpoint.oauth2:
        return None
    return {key: endpoint.oauth2.get(key, "") for key in OAUTH2_KEYS if key != "client_secret"}


def reveal_credentials(endpoint, *, actor=None):
    """The TLS key and the OAuth2 client secret in full, on an explicit request; the reveal is recorded."""
    record_access(endpoint, "reveal", f"{actor or 'python'} (receiver credentials)")
    oauth2 = oauth2_to_send(endpoint)
    return {"tls_client_key": tls_to_send(endpoint)[1],
            "oauth2_client_secret": oauth2["client_secret"] if oauth2 else ""}
