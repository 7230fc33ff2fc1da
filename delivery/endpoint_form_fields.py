"""The endpoint form fields the admin and the portal share: what it gets and in what shape, delivery policy
and authentication to the receiver.

One declared field per setting (issues 15 and 17's fields), the way each reaches
``create_endpoint``/``update_endpoint``, and the write-only "replace"
semantics of the TLS key and the OAuth2 client secret: an empty box keeps
the stored value, which is never shown.  The rules are the domain's.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _

from subscriptions import endpoint_policy, receiver_auth
from subscriptions.models import Endpoint, PayloadFormat
from subscriptions.validation import MAX_JSON_DEPTH

PEM_WIDGET = forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField hp-wide-input", "spellcheck": "false"})
URL_WIDGET = forms.URLInput(attrs={"class": "vURLField hp-wide-input"})
OAUTH2_FIELDS = {"token_url": "oauth2_token_url", "client_id": "oauth2_client_id", "scope": "oauth2_scope",
                 "audience": "oauth2_audience", "client_secret": "replace_oauth2_client_secret"}
TLS_FIELDS = ("tls_client_cert", "tls_ca_bundle")
# What an endpoint gets and in what shape (issue 15), and its line (``ordered``); the template fields matter
# only while WEBHOOKS_BODY_TEMPLATES is on.
SHAPE_FIELDS = ("filter", "payload_format", "ordered")
TEMPLATE_FIELDS = ("body_template", "content_type")
# A domain error on a field the forms spell differently lands beside the form's field.
ERROR_FIELDS = {"oauth2": "oauth2_token_url", "tls_client_key": "replace_tls_client_key"}


class BoundedJSONField(forms.JSONField):
    """JSON nested deeper than Python's recursion limit is a form error, not a RecursionError (L12)."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except RecursionError:
            raise ValidationError(f"Nested over {MAX_JSON_DEPTH} levels.", code="invalid") from None

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except RecursionError:  # shown again as typed
            return InvalidJSONInput(data)

    def has_changed(self, initial, data):
        try:
            return super().has_changed(initial, data)
        except RecursionError:
            return True


class OptionalJSONField(BoundedJSONField):
    """Empty stays empty (Django would print ``null``), meaning "leave as it is"."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


def _scheme_choices():
    return [(scheme, scheme) for scheme in endpoint_policy.SIGNATURE_SCHEMES]


class EdgeFieldsForm(forms.Form):
    """Declares the policy and receiver-authentication fields; mixed into the admin's and the portal's forms."""

    signature_scheme = forms.ChoiceField(
        label=_("Signature scheme"), choices=_scheme_choices, required=False, initial="standard",
        help_text=_("Names of the signing headers: webhook-* (standard) or svix-* (Svix), same values."))
    retry_schedule = OptionalJSONField(
        label=_("Retry schedule"), required=False, widget=forms.TextInput(attrs={"spellcheck": "false"}),
        help_text=_("Delays in seconds after each failed attempt, e.g. [10, 60, 600]; empty for the "
                    "platform's, [] for no retry."))
    retry_on_4xx = forms.BooleanField(
        label=_("Retry on 4xx"), required=False, initial=True,
        help_text=_("Off: a 4xx answer other than 408, 409, 425 and 429 fails the delivery at once."))
    timeout = forms.FloatField(label=_("Timeout"), required=False,
                               help_text=_("Seconds for one attempt; empty for the platform's."))
    fallback_url = forms.URLField(
        label=_("Fallback URL"), max_length=endpoint_policy.MAX_FALLBACK_URL, required=False,
        assume_scheme="https", widget=URL_WIDGET,
        help_text=_("Gets the same message at once when the URL gives no answer or a 5xx. No credentials in it."))

    tls_client_cert = forms.CharField(label=_("TLS client certificate"), required=False, strip=False,
                                      widget=PEM_WIDGET, help_text=_("PEM, for receivers that require mutual TLS."))
    replace_tls_client_key = forms.CharField(
        required=False, strip=False, widget=PEM_WIDGET, label=_("Replace TLS client key"),
        help_text=_("PEM private key of the client certificate, unencrypted (stored encrypted, never shown). "
                    "Leave empty to keep the current one; emptying the certificate removes both."))
    tls_ca_bundle = forms.CharField(label=_("TLS CA bundle"), required=False, strip=False, widget=PEM_WIDGET,
                                    help_text=_("PEM certificates of a private CA to trust for this receiver only."))
    oauth2_token_url = forms.CharField(label=_("OAuth2 token URL"), required=False, max_length=2048,
                                       help_text=_("Leave empty for no OAuth2 (the other OAuth2 fields are "
                                                   "ignored)."))
    oauth2_client_id = forms.CharField(label=_("OAuth2 client id"), required=False, max_length=1024)
    replace_oauth2_client_secret = forms.CharField(
        label=_("Replace OAuth2 client secret"), required=False, strip=False, max_length=1024,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted, never shown. Leave empty to keep the current one (same token URL origin)."))
    oauth2_scope = forms.CharField(label=_("OAuth2 scope"), required=False, max_length=1024)
    oauth2_audience = forms.CharField(label=_("OAuth2 audience"), required=False, max_length=1024)

    @staticmethod
    def edge_initial(endpoint):
        """The shown values of ``endpoint``'s fields: never the key nor the client secret."""
        initial = {name: getattr(endpoint, name) for name in (*endpoint_policy.POLICY_FIELDS, *TLS_FIELDS)}
        shown = receiver_auth.shown_oauth2(endpoint) or {}
        return initial | {name: shown.get(key, "") for key, name in OAUTH2_FIELDS.items() if key in shown}

    def edge_fields(self):
        """The policy and receiver-authentication fields as the domain functions take them."""
        cleaned = self.cleaned_data
        fields = {name: cleaned.get(name) for name in endpoint_policy.POLICY_FIELDS}
        fields["signature_scheme"] = fields["signature_scheme"] or "standard"
        fields["fallback_url"] = fields["fallback_url"] or ""
        fields |= {name: cleaned.get(name) or "" for name in TLS_FIELDS}
        if cleaned.get("replace_tls_client_key") or not fields["tls_client_cert"]:
            fields["tls_client_key"] = cleaned.get("replace_tls_client_key") or ""
        oauth2 = {key: cleaned.get(name) or "" for key, name in OAUTH2_FIELDS.items()}
        if not oauth2["client_secret"]:
            del oauth2["client_secret"]  # kept on a change (receiver_auth.complete_changes)
        fields["oauth2"] = oauth2 if oauth2["token_url"] else None
        return fields

    @staticmethod
    def edge_changed(changed):
        """The domain's names of the changed form fields ``changed`` touches, besides their own."""
        extra = {"oauth2"} if changed & set(OAUTH2_FIELDS.values()) else set()
        if changed & {"replace_tls_client_key", "tls_client_cert"}:
            extra.add("tls_client_key")
        return extra


class ShapeFieldsForm(forms.Form):
    """Declares what an endpoint gets and in what shape, its line and its kind; mixed into both endpoint forms."""

    # Polling endpoints (issue 17): chosen when the endpoint is added, fixed after.
    kind = forms.ChoiceField(label=_("Kind"), choices=Endpoint.Kind.choices, initial=Endpoint.Kind.HTTP, required=False,
                             help_text=_("Polling: the receiver has no public URL and pulls its events with "
                                         "GET …/endpoints/{id}/poll/ (leave the URL empty). Fixed once added."))
    filter = OptionalJSONField(
        label=_("Filter"), required=False, widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_('Only events whose content matches, e.g. {"data.amount": {"$gte": 1000}}; empty: every '
                    "event of the chosen types."))
    payload_format = forms.ChoiceField(label=_("Payload format"), choices=PayloadFormat.choices, required=False,
                                       initial=PayloadFormat.STANDARD,
                                       help_text=_("The body's shape: Standard Webhooks or CloudEvents 1.0 (JSON)."))
    ordered = forms.BooleanField(label=_("Ordered delivery"), required=False,
                                 help_text=_("One at a time, in the order the events were published: the next "
                                             "waits until the one before has succeeded, failed for good or been "
                                             "cancelled."))
    body_template = forms.CharField(
        label=_("Body template"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("A Jinja2 template of the body (type, timestamp, id, data); empty: the payload format."))
    content_type = forms.CharField(label=_("Content type"), required=False, max_length=255,
                                   help_text=_("Of the templated body (default application/json)."))

    @staticmethod
    def shape_initial(endpoint):
        """The shown values of ``endpoint``'s shape fields."""
        return {name: getattr(endpoint, name) for name in (*SHAPE_FIELDS, *TEMPLATE_FIELDS)}

    def shape_fields(self):
        """The shape fields the form has as the domain functions take them; a format left out is the default."""
        cleaned = self.cleaned_data
        fields = {name: cleaned.get(name) for name in (*SHAPE_FIELDS, *TEMPLATE_FIELDS) if name in self.fields}
        fields["payload_format"] = fields.get("payload_format") or PayloadFormat.STANDARD
        fields["ordered"] = bool(fields.get("ordered"))
        return fields

    def new_kind(self):
        """The kind chosen when the endpoint is added (HTTP unless said)."""
        return self.cleaned_data.get("kind") or Endpoint.Kind.HTTP
