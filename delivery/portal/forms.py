"""The portal's forms: types and shapes only; the rules are the domain functions', whose errors land here."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from delivery.endpoint_form_fields import ERROR_FIELDS, TEMPLATE_FIELDS, EdgeFieldsForm, ShapeFieldsForm
from subscriptions import conf
from subscriptions.models import Endpoint, EventType
from subscriptions.redaction import REDACTED

FIELDS = ("url", "description", "event_types", "headers", "rate_limit")
AUTH_FIELDS = ("tls_client_cert", "replace_tls_client_key", "tls_ca_bundle", "oauth2_token_url", "oauth2_client_id",
               "replace_oauth2_client_secret", "oauth2_scope", "oauth2_audience")


def _header_lines(headers):
    return "\n".join(f"{name}: {value}" for name, value in headers.items())


class EndpointForm(ShapeFieldsForm, EdgeFieldsForm):
    """The basics, then what it gets and in what shape, the delivery policy and the receiver's authentication
    (all but the basics shared with the admin); the template fields only while WEBHOOKS_BODY_TEMPLATES is on."""

    url = forms.CharField(label=_("URL"), max_length=2048, required=False,
                          widget=forms.URLInput(attrs={"autocomplete": "url"}),
                          help_text=_("The https:// address that receives the webhooks (empty for a polling "
                                      "endpoint)."))
    description = forms.CharField(label=_("Description"), required=False, max_length=1024)
    event_types = forms.MultipleChoiceField(label=_("Event types"), required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text=_("None chosen: every event type."))
    headers = forms.CharField(
        label=_("Custom headers"), required=False, widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_("One per line, as Name: value. Values are stored encrypted and shown as %(redacted)s; "
                    "leave %(redacted)s to keep a value.") % {"redacted": REDACTED})
    rate_limit = forms.IntegerField(label=_("Rate limit"), required=False, min_value=1, max_value=100_000,
                                    help_text=_("Most requests per second (empty: no limit)."))

    def __init__(self, *args, endpoint=None, **kwargs):
        if endpoint is not None:
            kwargs.setdefault("initial", {
                "url": endpoint.redacted_url, "description": endpoint.description,
                "event_types": endpoint.event_types, "headers": _header_lines(endpoint.shown_headers),
                "rate_limit": endpoint.rate_limit} | self.edge_initial(endpoint) | self.shape_initial(endpoint))
        super().__init__(*args, **kwargs)
        if endpoint is not None:  # the kind is chosen once, when the endpoint is added
            del self.fields["kind"]
        if endpoint is not None and endpoint.kind == Endpoint.Kind.POLLING:  # it has no URL to edit
            del self.fields["url"]
        if not conf.get().body_templates:
            for name in TEMPLATE_FIELDS:
                del self.fields[name]
        catalogue = EventType.objects.filter(archived=False).order_by("name")
        self.descriptions = {t.name: t.description for t in catalogue}
        kept = [name for name in (endpoint.event_types if endpoint else []) if name not in self.descriptions]
        self.fields["event_types"].choices = [(name, name) for name in [*self.descriptions, *kept]]

    def clean_headers(self):
        """``Name: value`` lines into a mapping; the domain checks names and values."""
        headers = {}
        for number, line in enumerate(self.cleaned_data["headers"].splitlines(), 1):
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            if not colon or not name.strip():
                raise ValidationError(_("Line %(number)s is not Name: value."), params={"number": number})
            headers[name.strip()] = value.strip()
        return headers

    def add_domain_errors(self, exc):
        """A domain ``ValidationError`` shown beside its field (others above the form)."""
        errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        for field, messages in errors.items():
            field = ERROR_FIELDS.get(field, field)
            self.add_error(field if field in self.fields else None, messages)

    @property
    def auth_errors(self):
        """Whether a receiver-authentication field has an error (its section opens)."""
        return any(self.errors.get(name) for name in AUTH_FIELDS)

    def domain_fields(self):
        """Every field as ``create_endpoint``/``update_endpoint`` take it (an empty secret box keeps the secret)."""
        cleaned = self.cleaned_data
        fields = {name: cleaned[name] for name in FIELDS if name in self.fields}
        fields |= self.shape_fields() | self.edge_fields()
        if "kind" in self.fields:
            fields["kind"] = self.new_kind()
        return fields


class TestEventForm(forms.Form):
    event_type = forms.ChoiceField(label=_("Event type"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = EventType.objects.filter(archived=False).order_by("name").values_list("name", flat=True)
        self.fields["event_type"].choices = [(name, name) for name in names]
