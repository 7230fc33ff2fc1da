"""The portal's forms: types and shapes only; the rules are the domain functions', whose errors land here."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from delivery.endpoint_form_fields import ERROR_FIELDS, EdgeFieldsForm, OptionalJSONField
from subscriptions import conf
from subscriptions.models import Endpoint, EventType, PayloadFormat
from subscriptions.redaction import REDACTED

FIELDS = ("url", "description", "event_types", "headers", "rate_limit")
# What an endpoint gets and in what shape (issue 15), and its line (``ordered``); the template fields
# only while WEBHOOKS_BODY_TEMPLATES is on.
SHAPE_FIELDS = ("filter", "payload_format", "ordered")
TEMPLATE_FIELDS = ("body_template", "content_type")
AUTH_FIELDS = ("tls_client_cert", "replace_tls_client_key", "tls_ca_bundle", "oauth2_token_url", "oauth2_client_id",
               "replace_oauth2_client_secret", "oauth2_scope", "oauth2_audience")


def _header_lines(headers):
    return "\n".join(f"{name}: {value}" for name, value in headers.items())


class EndpointForm(EdgeFieldsForm):
    """The basics, then the delivery policy and the receiver's authentication (shared with the admin)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Endpoint.Kind.choices, initial=Endpoint.Kind.HTTP, required=False,
                             help_text=_("Polling: your receiver has no public URL and pulls its events with "
                                         "GET …/endpoints/{id}/poll/ (leave the URL empty). Fixed once added."))
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
    filter = OptionalJSONField(
        label=_("Filter"), required=False, widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_('Only events whose content matches, e.g. {"data.amount": {"$gte": 1000}}; empty: every '
                    "event of the chosen types."))
    payload_format = forms.ChoiceField(label=_("Payload format"), choices=PayloadFormat.choices, required=False,
                                       initial=PayloadFormat.STANDARD)
    ordered = forms.BooleanField(label=_("Ordered delivery"), required=False,
                                 help_text=_("One at a time, in the order the events were published: the next "
                                             "waits until the one before has succeeded or failed for good."))
    body_template = forms.CharField(
        label=_("Body template"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("A Jinja2 template of the body (type, timestamp, id, data); empty: the payload format."))
    content_type = forms.CharField(label=_("Content type"), required=False, max_length=255,
                                   help_text=_("Of the templated body (default application/json)."))

    def __init__(self, *args, endpoint=None, **kwargs):
        if endpoint is not None:
            kwargs.setdefault("initial", {
                "url": endpoint.redacted_url, "description": endpoint.description,
                "event_types": endpoint.event_types, "headers": _header_lines(endpoint.shown_headers),
                "rate_limit": endpoint.rate_limit} | self.edge_initial(endpoint)
                | {name: getattr(endpoint, name) for name in (*SHAPE_FIELDS, *TEMPLATE_FIELDS)})
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
        fields = {name: cleaned[name] for name in FIELDS if name in self.fields} | self.edge_fields()
        fields |= {name: cleaned[name] for name in (*SHAPE_FIELDS, *TEMPLATE_FIELDS, "kind") if name in self.fields}
        fields["payload_format"] = fields["payload_format"] or PayloadFormat.STANDARD
        if "kind" in fields:
            fields["kind"] = fields["kind"] or Endpoint.Kind.HTTP
        return fields


class TestEventForm(forms.Form):
    event_type = forms.ChoiceField(label=_("Event type"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = EventType.objects.filter(archived=False).order_by("name").values_list("name", flat=True)
        self.fields["event_type"].choices = [(name, name) for name in names]
