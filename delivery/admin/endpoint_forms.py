"""The endpoint form and the forms of the endpoint actions (a reason, an event type, a time)."""

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime

from delivery.admin.forms import BoundedJSONField, DomainFormMixin, OptionalJSONField
from delivery.endpoint_form_fields import OAUTH2_FIELDS, TEMPLATE_FIELDS, EdgeFieldsForm, ShapeFieldsForm
from subscriptions import endpoint_policy, endpoints
from subscriptions.models import Endpoint, EventType

# What an endpoint gets and in what shape (issue 15), in their own fieldset; ``ordered`` has its own.
SHAPE_FIELDS = ("filter", "payload_format", *TEMPLATE_FIELDS)


class EndpointForm(DomainFormMixin, ShapeFieldsForm, EdgeFieldsForm, forms.ModelForm):
    """The console's endpoint form; the shape, kind, policy and receiver-authentication fields are shared with
    the portal (``ShapeFieldsForm``, ``EdgeFieldsForm``)."""

    url = forms.URLField(max_length=2048, assume_scheme="https", required=False,
                         widget=forms.URLInput(attrs={"class": "vURLField hp-wide-input"}),
                         help_text="Required for an HTTP endpoint; empty for a polling one.")
    replace_headers = OptionalJSONField(
        required=False, label="Replace headers",
        help_text="A JSON object of custom headers. Leave empty to keep the current ones (shown above, "
                  "credentials redacted); enter {} to remove them all.")

    class Meta:
        model = Endpoint
        fields = ("tenant", "url", "description", "event_types", "rate_limit", "metadata",
                  "tls_client_cert", "tls_ca_bundle", "ordered")
        fields += endpoint_policy.POLICY_FIELDS
        fields += SHAPE_FIELDS
        field_classes = {"event_types": BoundedJSONField, "metadata": BoundedJSONField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # the OAuth2 settings but the client secret (the others come from the row)
            for name, value in self.edge_initial(self.instance).items():
                if name in OAUTH2_FIELDS.values():
                    self.fields[name].initial = value

    def domain_fields(self):
        """The editable fields as the domain functions take them."""
        cleaned = self.cleaned_data
        fields = {name: cleaned.get(name) for name in ("url", "description", "rate_limit")}
        fields["description"] = fields["description"] or ""
        fields["event_types"] = cleaned.get("event_types") or []
        fields["metadata"] = cleaned.get("metadata") or {}
        if cleaned.get("replace_headers") is not None:
            fields["headers"] = cleaned["replace_headers"]
        return fields | self.shape_fields() | self.edge_fields()

    def changed_fields(self):
        """The fields an edit changes: credentials still reading <redacted> are kept (same origin only)."""
        changed = set(self.changed_data)
        changed |= self.edge_changed(changed)
        if "replace_headers" in changed:
            changed.add("headers")
        return {name: value for name, value in self.domain_fields().items() if name in changed}

    def domain_validate(self, cleaned):
        if not self.instance._state.adding:
            endpoints.prepare_changes(Endpoint.objects.get(pk=self.instance.pk), self.changed_fields())
        else:
            endpoints.validate_new_endpoint(self.domain_fields(), self.new_kind())
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
