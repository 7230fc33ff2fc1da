"""The endpoint form and the forms of the endpoint actions (a reason, an event type, a time)."""

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime

from delivery.admin.forms import BoundedJSONField, DomainFormMixin, OptionalJSONField
from subscriptions import endpoints
from subscriptions.models import Endpoint, EventType


class EndpointForm(DomainFormMixin, forms.ModelForm):
    url = forms.URLField(max_length=2048, assume_scheme="https", required=False,
                         widget=forms.URLInput(attrs={"class": "vURLField hp-wide-input"}),
                         help_text="Required for an HTTP endpoint; empty for a polling one.")
    # Polling endpoints (issue 17): chosen when the endpoint is added, shown read-only after.
    kind = forms.ChoiceField(choices=Endpoint.Kind.choices, initial=Endpoint.Kind.HTTP, required=False,
                             help_text="Polling: the receiver has no public URL and pulls its events with "
                                       "GET …/endpoints/{id}/poll/. Cannot be changed later.")
    replace_headers = OptionalJSONField(
        required=False, label="Replace headers",
        help_text="A JSON object of custom headers. Leave empty to keep the current ones (shown above, "
                  "credentials redacted); enter {} to remove them all.")

    class Meta:
        model = Endpoint
        fields = ("tenant", "url", "description", "event_types", "rate_limit", "metadata")
        field_classes = {"event_types": BoundedJSONField, "metadata": BoundedJSONField}

    def domain_fields(self):
        """The editable fields as the domain functions take them."""
        cleaned = self.cleaned_data
        fields = {name: cleaned.get(name) for name in ("url", "description", "rate_limit")}
        fields["description"] = fields["description"] or ""
        fields["event_types"] = cleaned.get("event_types") or []
        fields["metadata"] = cleaned.get("metadata") or {}
        if cleaned.get("replace_headers") is not None:
            fields["headers"] = cleaned["replace_headers"]
        return fields

    def new_kind(self):
        return self.cleaned_data.get("kind") or Endpoint.Kind.HTTP

    def changed_fields(self):
        """The fields an edit changes: credentials still reading <redacted> are kept (same origin only)."""
        return {name: value for name, value in self.domain_fields().items()
                if name in self.changed_data or name == "headers" and "replace_headers" in self.changed_data}

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
