"""The log's GET forms (filters, figures) and the recover form; they check shapes, the domain checks rules.

A value of the wrong shape (an id that is no id, a status that does not
exist, a cursor that is no number) makes the form invalid and the page
answers 400 with the field's message, never a 500 or a query with it.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from delivery.models import Delivery
from delivery.portal.queries import WINDOWS, LogFilter
from subscriptions.api.scoping import EVENT_ID
from subscriptions.models import EventType

TIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MAX_CURSOR = 2**63 - 1


def endpoint_choices(tenant):
    """The tenant's endpoints as (id, URL) choices, newest first."""
    return [(pk, url) for pk, url in tenant.endpoints.order_by("-created_at").values_list("pk", "url")]


class LogFilterForm(forms.Form):
    """The log's filters and its cursor, read from the query string."""

    endpoint = forms.ChoiceField(label=_("Endpoint"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *Delivery.Status.choices])
    event_type = forms.ChoiceField(label=_("Event type"), required=False)
    event = forms.RegexField(label=_("Event id"), regex=EVENT_ID, required=False, max_length=40,
                             error_messages={"invalid": _("An event id looks like msg_ and 26 letters or digits.")})
    since = forms.DateTimeField(label=_("From (UTC)"), required=False, widget=TIME_INPUT)
    until = forms.DateTimeField(label=_("Until (UTC)"), required=False, widget=TIME_INPUT)
    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_CURSOR, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, max_value=MAX_CURSOR, widget=forms.HiddenInput)

    def __init__(self, data, *, tenant):
        super().__init__(data)
        self.fields["endpoint"].choices = [("", _("Every endpoint")), *endpoint_choices(tenant)]
        types = EventType.objects.order_by("name").values_list("name", flat=True)
        self.fields["event_type"].choices = [("", _("Every event type")), *((name, name) for name in types)]

    def clean(self):
        data = super().clean()
        if data.get("before") is not None and data.get("after") is not None:
            raise forms.ValidationError(_("Use the Newer or Older link of a page."), code="invalid")
        return data

    def log_filter(self):
        fields = {name: self.cleaned_data[name] or ("" if name not in ("since", "until") else None)
                  for name in ("endpoint", "status", "event_type", "event", "since", "until")}
        return LogFilter(**fields)


class FiguresForm(forms.Form):
    """Which endpoint's figures, over which window."""

    endpoint = forms.CharField(label=_("Endpoint"), required=False, max_length=40, widget=forms.Select)
    window = forms.ChoiceField(label=_("Window"), required=False,
                               choices=[("24h", _("Last 24 hours")), ("7d", _("Last 7 days"))])

    def __init__(self, data, *, tenant):
        super().__init__(data)
        # Any value is taken here: the view answers 404 for an id that is not one of the tenant's.
        self.fields["endpoint"].widget.choices = endpoint_choices(tenant)

    def clean_window(self):
        return self.cleaned_data["window"] if self.cleaned_data["window"] in WINDOWS else "24h"


class RecoverForm(forms.Form):
    """Since when an endpoint's failed deliveries are sent again; how far back is the domain's rule."""

    since = forms.DateTimeField(label=_("Failed since (UTC)"), widget=TIME_INPUT)
