"""Admin machinery shared by the webhook console: confirmed actions, count-free paging, display helpers.

The admin stays thin: every action here only gathers the operator's
confirmation (and an argument such as a reason or a time) and then calls a
domain function; the rules live in ``delivery/`` and ``subscriptions/``.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

MAX_SELECTED = 1000  # rows one action may touch; bulk resends go through "recover endpoint"
CONFIRM_TEMPLATE = "admin/hookplatform/confirm_action.html"
CHANGE_FORM_TEMPLATE = "admin/hookplatform/change_form.html"
ADMIN_CSS = {"all": ("delivery/admin.css",)}


# --- Paging without full-table counts ----------------------------------------

class CappedCountPaginator(Paginator):
    """Counts at most ``cap`` rows, so a page of a million-row table costs a bounded COUNT.

    Past the cap the page list stops there and the total reads "10,000+";
    filters and search narrow the list down.
    """

    cap = 10_000

    @cached_property
    def count(self):
        counted = self.object_list.order_by()[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)


class FastListMixin:
    """List settings every console page shares: no full counts, bounded paging, the console's CSS."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would COUNT the whole table per filter choice
    list_per_page = 50
    list_max_show_all = 200
    list_deferred = ()  # big columns a list page never shows (bodies, headers)

    class Media:
        css = ADMIN_CSS

    def changelist_view(self, request, extra_context=None):
        title = self.model._meta.verbose_name_plural.capitalize()
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if self.list_deferred and match and match.url_name and match.url_name.endswith("changelist"):
            queryset = queryset.defer(*self.list_deferred)
        return queryset


# --- Confirmed actions ---------------------------------------------------------

@dataclass
class ConfirmedAction:
    """An admin action that shows a confirmation page (with an optional form) before acting.

    ``perform(request, objects, data)`` calls the domain function for each
    object and returns ``(message, level)`` for the operator.
    """

    name: str
    label: str
    explanation: str
    perform: callable
    form_class: type = forms.Form
    permission: str = "change"
    initial: callable = field(default=lambda objects: {})
    applies: callable = field(default=lambda obj: True)  # whether the change page offers it for this object

    def as_admin_action(self):
        confirmed = self

        def action(modeladmin, request, queryset):
            return run_confirmed(modeladmin, request, queryset, confirmed, selected_mode=True)

        action.__name__ = self.name
        action.short_description = self.label
        action.allowed_permissions = (self.permission,)
        return action


def _selected_objects(queryset):
    objects = list(queryset[: MAX_SELECTED + 1])
    if len(objects) > MAX_SELECTED:
        raise ValidationError(f"Select at most {MAX_SELECTED} rows at a time.")
    return objects


def run_confirmed(modeladmin, request, queryset, action, *, selected_mode):
    """Render the confirmation page, or act on the confirming POST (then return None)."""
    try:
        objects = _selected_objects(queryset)
    except ValidationError as exc:
        modeladmin.message_user(request, exc.messages[0], messages.ERROR)
        return None
    confirming = request.method == "POST" and "confirm" in request.POST
    form = action.form_class(request.POST if confirming else None, initial=action.initial(objects))
    if confirming and form.is_valid():
        try:
            message, level = action.perform(request, objects, form.cleaned_data)
        except ValidationError as exc:  # refused by the domain (e.g. a schema, a window): said, never a 500
            modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
            return None
        for obj in objects:
            modeladmin.log_change(request, obj, action.label)
        modeladmin.message_user(request, message, level)
        return None
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": action.label,
        "action": action,
        "form": form,
        "objects": objects[:20],
        "more": max(len(objects) - 20, 0),
        "count": len(objects),
        "opts": opts,
        "selected_mode": selected_mode,
        "selected_ids": [str(obj.pk) for obj in objects] if selected_mode else [],
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


class ConfirmedActionsMixin:
    """Offers each ``confirmed_actions`` entry as a list action and as a button on the change page."""

    confirmed_actions = ()
    change_form_template = CHANGE_FORM_TEMPLATE

    def change_title(self, obj):
        return f"{self.model._meta.verbose_name.capitalize()} {obj.pk}"

    def get_actions(self, request):
        actions = super().get_actions(request)
        for confirmed in self.confirmed_actions:
            if self._may(request, confirmed):
                func = confirmed.as_admin_action()
                actions[confirmed.name] = (func, confirmed.name, confirmed.label)
        return actions

    def _may(self, request, confirmed, obj=None):
        return getattr(self, f"has_{confirmed.permission}_permission")(request, obj)

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_act"
        return [
            path("<path:object_id>/act/<str:action_name>/", self.admin_site.admin_view(self.object_action_view),
                 name=name),
            *super().get_urls(),
        ]

    def object_action_view(self, request, object_id, action_name):
        confirmed = {a.name: a for a in self.confirmed_actions}.get(action_name)
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404("No such object.")
        if confirmed is None or not self._may(request, confirmed, obj):
            raise PermissionDenied
        response = run_confirmed(self, request, self.model._default_manager.filter(pk=obj.pk), confirmed,
                                 selected_mode=False)
        if response is None:
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change",
                                                args=[obj.pk], current_app=self.admin_site.name))
        return response

    def object_tools(self, request, obj):
        """The action buttons a change page shows this user."""
        opts = self.model._meta
        return [
            {"label": a.label, "url": reverse(f"admin:{opts.app_label}_{opts.model_name}_act",
                                              args=[obj.pk, a.name], current_app=self.admin_site.name)}
            for a in self.confirmed_actions if a.applies(obj) and self._may(request, a, obj)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {"object_actions": self.object_tools(request, obj), "title": self.change_title(obj),
                 "subtitle": None} if obj is not None else {}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


class ReadOnlyAdminMixin:
    """A log the admin shows but never edits by hand: no add, no edit form, no delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False,
                 "show_delete": False}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(f.name for f in self.model._meta.fields)]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """The form only shows: a crafted POST would re-save the row as loaded, over a worker's newer write.

        Actions (list and object buttons) have views of their own and go on working.
        """
        if request.method == "POST":
            raise PermissionDenied("This log is read-only.")
        return super().changeform_view(request, object_id, form_url, extra_context)


# --- Filters -----------------------------------------------------------------

class RecentFilter(admin.SimpleListFilter):
    """Date filter by preset windows: cheap on big tables, unlike ``date_hierarchy``'s distinct dates."""

    title = "date"
    parameter_name = "within"
    field_name = "created_at"
    WINDOWS = {"1h": ("Past hour", timedelta(hours=1)), "24h": ("Past 24 hours", timedelta(hours=24)),
               "7d": ("Past 7 days", timedelta(days=7)), "30d": ("Past 30 days", timedelta(days=30))}

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.WINDOWS.items()]

    def queryset(self, request, queryset):
        window = self.WINDOWS.get(self.value())
        if window is None:
            return queryset
        return queryset.filter(**{f"{self.field_name}__gte": timezone.now() - window[1]})


def recent_filter(field_name):
    return type(f"Recent{field_name.title().replace('_', '')}Filter", (RecentFilter,), {"field_name": field_name})


class TextInputFilter(admin.SimpleListFilter):
    """A filter typed in rather than picked from a list, for columns with too many values to list."""

    template = "admin/hookplatform/input_filter.html"
    lookup = None

    def lookups(self, request, model_admin):
        return [("", "")]

    def has_output(self):
        return True

    def choices(self, changelist):
        other = {k: v for k, v in changelist.get_filters_params().items() if k != self.parameter_name}
        yield {"value": self.value() or "", "parameter_name": self.parameter_name,
               "other_params": [(k, v) for k, values in other.items() for v in
                                (values if isinstance(values, list) else [values])],
               "clear_url": changelist.get_query_string(remove=[self.parameter_name])}

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.lookup: self.value().strip()})
        return queryset


class TenantUidFilter(TextInputFilter):
    title = "tenant uid"
    parameter_name = "tenant_uid"
    lookup = "tenant__uid"


def event_type_filter(lookup):
    """Lists the catalogue's names (a small table), filtering the given field exactly."""

    def lookups(self, request, model_admin):
        from subscriptions.models import EventType

        return [(name, name) for name in EventType.objects.values_list("name", flat=True)[:100]]

    def queryset(self, request, queryset):
        return queryset.filter(**{lookup: self.value()}) if self.value() else queryset

    return type("EventTypeFilter", (admin.SimpleListFilter,),
                {"title": "event type", "parameter_name": "event_type", "lookups": lookups, "queryset": queryset})


# --- Display helpers ---------------------------------------------------------

def pretty_json(value):
    """JSON (a parsed value or a JSON string) indented in a <pre>; anything else shown as it is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return format_html('<pre class="hp-pre">{}</pre>', value) if value else "—"
    return format_html('<pre class="hp-pre">{}</pre>', json.dumps(value, indent=2,
                                                                   ensure_ascii=False))


def badge(text, tone):
    """A coloured pill: tone is one of ok, bad, warn, muted, info."""
    return format_html('<span class="hp-badge hp-{}">{}</span>', tone, text)


def admin_link(obj, text=None):
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else obj.pk)


def changelist_url(model, **params):
    from urllib.parse import urlencode

    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


# --- Search --------------------------------------------------------------------

SEARCH_LIMIT = 200


@dataclass
class SearchTargets:
    """The rows a search term may name, each found through an index and bounded."""

    term: str
    event_ids: list
    endpoint_ids: list
    tenant_ids: list

    @property
    def number(self):
        return int(self.term) if self.term.isdigit() else None


def search_targets(term):
    """Event id or idempotency key, endpoint id or URL (substring), tenant uid: what ``term`` matches.

    ``Endpoint.url`` holds the URL with its credentials redacted (the full one
    is encrypted), so a substring search cannot guess a password character by
    character.
    """
    from delivery.models import Event
    from subscriptions.models import Endpoint, Tenant

    term = term.strip()
    return SearchTargets(
        term=term,
        event_ids=list(Event.objects.filter(Q(pk=term) | Q(idempotency_key=term)).order_by()
                       .values_list("pk", flat=True)[:SEARCH_LIMIT]),
        endpoint_ids=list(Endpoint.objects.filter(Q(pk=term) | Q(url__icontains=term)).order_by()
                          .values_list("pk", flat=True)[:SEARCH_LIMIT]),
        tenant_ids=list(Tenant.objects.filter(uid=term).values_list("pk", flat=True)),
    )


class TargetedSearchMixin:
    """Search by exact ids instead of Django's ``icontains`` scans, which cannot use an index.

    Subclasses turn the targets into a filter with ``search_filter(targets)``.
    """

    search_fields = ("pk",)  # shows the search box; the lookup itself is search_filter's
    search_help_text = "Event id, idempotency key, endpoint URL or id, tenant uid."

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(self.search_filter(search_targets(search_term))), False


def exact_time(field_name, description=None):
    """A column or read-only field showing a timestamp to the second in UTC (Django's default drops seconds)."""

    @admin.display(description=description or field_name.replace("_", " "), ordering=field_name)
    def show(model_admin, obj):
        value = getattr(obj, field_name)
        return f"{timezone.localtime(value, UTC):%Y-%m-%d %H:%M:%S}" if value else "—"

    return show
