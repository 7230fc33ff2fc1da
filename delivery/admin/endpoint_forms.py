"""The endpoint form and the forms of the endpoint actions (a reason, an event type, a time)."""

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime

from delivery.admin.forms import BoundedJSONField, DomainFormMixin, OptionalJSONField
from subscriptions import endpoint_policy, endpoints, receiver_auth
from subscriptions.models import Endpoint, EventType, PayloadFormat

# What an endpoint gets and in what shape (issue 15), in their own fieldset.
SHAPE_FIELDS = ("filter", "payload_format", "body_template", "content_type")

PEM_WIDGET = forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField hp-wide-input", "spellcheck": "false"})
OAUTH2_FIELDS = {"token_url": "oauth2_token_url", "client_id": "oauth2_client_id", "scope": "oauth2_scope",
                 "audience": "oauth2_audience", "client_secret": "replace_oauth2_client_secret"}


class EndpointForm(DomainFormMixin, forms.ModelForm):
    url = forms.URLField(max_length=2048, assume_scheme="https",
                         widget=forms.URLInput(attrs={"class": "vURLField hp-wide-input"}))
    # What it gets and in what shape (issue 15); a form that leaves the format out means the default.
    payload_format = forms.ChoiceField(choices=PayloadFormat.choices, required=False, initial=PayloadFormat.STANDARD,
                                       help_text="The body's shape: Standard Webhooks or CloudEvents 1.0 (JSON).")
    replace_headers = OptionalJSONField(
        required=False, label="Replace headers",
        help_text="A JSON object of custom headers. Leave empty to keep the current ones (shown above, "
                  "credentials redacted); enter {} to remove them all.")
    # Edge policy.
    signature_scheme = forms.ChoiceField(choices=Endpoint._meta.get_field("signature_scheme").choices, required=False,
                                         initial="standard", help_text="Names of the signing headers: webhook-* "
                                                                       "(standard) or svix-* (Svix), same values.")
    fallback_url = forms.URLField(max_length=2048, required=False, assume_scheme="https", label="Fallback URL",
                                  help_text="Gets the same message at once when the URL gives no answer or a 5xx. "
                                            "No credentials in it.",
                                  widget=forms.URLInput(attrs={"class": "vURLField hp-wide-input"}))

    # Authentication to receivers (receiver_auth): the key and the client secret are write-only here.
    replace_tls_client_key = forms.CharField(
        required=False, strip=False, widget=PEM_WIDGET, label="Replace TLS client key",
        help_text="PEM private key of the client certificate, unencrypted (stored encrypted). Leave empty to "
                  "keep the current one; emptying the certificate removes both.")
    oauth2_token_url = forms.CharField(required=False, max_length=2048, label="OAuth2 token URL",
                                       help_text="Leave empty for no OAuth2 (the other OAuth2 fields are ignored).")
    oauth2_client_id = forms.CharField(required=False, max_length=1024, label="OAuth2 client id")
    replace_oauth2_client_secret = forms.CharField(
        required=False, strip=False, max_length=1024, widget=forms.PasswordInput(render_value=False),
        label="Replace OAuth2 client secret", help_text="Leave empty to keep the current one (same token URL origin).")
    oauth2_scope = forms.CharField(required=False, max_length=1024, label="OAuth2 scope")
    oauth2_audience = forms.CharField(required=False, max_length=1024, label="OAuth2 audience")

    class Meta:
        model = Endpoint
        fields = ("tenant", "url", "description", "event_types", "rate_limit", "metadata",
                  "tls_client_cert", "tls_ca_bundle")
        fields += endpoint_policy.POLICY_FIELDS
        field_classes = {"event_types": BoundedJSONField, "metadata": BoundedJSONField}
        field_classes |= {"retry_schedule": OptionalJSONField}
        # What it gets and in what shape (issue 15).
        fields += SHAPE_FIELDS
        field_classes |= {"filter": BoundedJSONField}
        widgets = {"tls_client_cert": PEM_WIDGET, "tls_ca_bundle": PEM_WIDGET}
        labels = {"tls_client_cert": "TLS client certificate", "tls_ca_bundle": "TLS CA bundle"}
        help_texts = {"retry_schedule": "Delays in seconds after each failed attempt, e.g. [10, 60, 600]; empty for "
                                        "the platform's (WEBHOOKS_RETRY_SCHEDULE), [] for no retry.",
                      "retry_on_4xx": "Off: a 4xx answer other than 408, 409, 425 and 429 fails the delivery at once.",
                      "timeout": "Seconds for one attempt; empty for the platform's (WEBHOOKS_TIMEOUT)."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("tls_client_cert", "tls_ca_bundle"):
            if name in self.fields:  # a viewer's form has none
                self.fields[name].strip = False
        shown = receiver_auth.shown_oauth2(self.instance) if self.instance.pk else None
        for key, name in OAUTH2_FIELDS.items():
            if shown and key in shown and name in self.fields:
                self.fields[name].initial = shown[key]

    def domain_fields(self):
        """The editable fields as the domain functions take them."""
        cleaned = self.cleaned_data
        fields = {name: cleaned.get(name) for name in ("url", "description", "rate_limit")}
        fields["description"] = fields["description"] or ""
        fields["event_types"] = cleaned.get("event_types") or []
        fields["metadata"] = cleaned.get("metadata") or {}
        if cleaned.get("replace_headers") is not None:
            fields["headers"] = cleaned["replace_headers"]
        fields |= {name: cleaned.get(name) for name in endpoint_policy.POLICY_FIELDS}
        fields["signature_scheme"] = fields["signature_scheme"] or "standard"
        fields["fallback_url"] = fields["fallback_url"] or ""
        fields.update({name: cleaned.get(name) for name in SHAPE_FIELDS})
        fields["payload_format"] = fields["payload_format"] or PayloadFormat.STANDARD
        fields.update(self._receiver_auth_fields())
        return fields

    def _receiver_auth_fields(self):
        """The TLS fields (an empty key field keeps the stored key, unless the certificate goes) and ``oauth2``."""
        cleaned = self.cleaned_data
        fields = {name: cleaned.get(name) or "" for name in ("tls_client_cert", "tls_ca_bundle")}
        if cleaned.get("replace_tls_client_key") or not fields["tls_client_cert"]:
            fields["tls_client_key"] = cleaned.get("replace_tls_client_key") or ""
        oauth2 = {key: cleaned.get(name) or "" for key, name in OAUTH2_FIELDS.items()}
        if not oauth2["client_secret"]:
            del oauth2["client_secret"]  # kept on a change (receiver_auth.complete_changes)
        fields["oauth2"] = oauth2 if oauth2["token_url"] else None
        return fields

    def changed_fields(self):
        """The fields an edit changes: credentials still reading <redacted> are kept (same origin only)."""
        changed = set(self.changed_data)
        if changed & set(OAUTH2_FIELDS.values()):
            changed.add("oauth2")
        if "replace_tls_client_key" in changed:
            changed.add("tls_client_key")
        return {name: value for name, value in self.domain_fields().items()
                if name in changed or name == "headers" and "replace_headers" in changed
                or name == "tls_client_key" and "tls_client_cert" in changed}

    def domain_validate(self, cleaned):
        if not self.instance._state.adding:
            endpoints.prepare_changes(Endpoint.objects.get(pk=self.instance.pk), self.changed_fields())
        else:
            endpoints.validate_endpoint_fields(self.domain_fields())
            if cleaned.get("tenant"):
                endpoints.check_endpoint_cap(cleaned["tenant"])


class DisableForm(forms.Form):
    reason = forms.CharField(max_length=512, initial="Disabled by an operator.",
                             help_text="Shown to the tenant and on the endpoint list.")


class TestEventForm(forms.Form):
    event_type = forms.ChoiceField(help_text="The example event goes to the selected endpoints only.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = EventType.objects.filter(archived=False).values_list("name", flat=True)[:500]
        self.fields["event_type"].choices = [(name, name) for name in names]


class RecoverForm(forms.Form):
    since = forms.SplitDateTimeField(widget=AdminSplitDateTime, label="Resend failed deliveries created since",
                                     help_text="UTC.")  # how far back it may go is the domain's rule
