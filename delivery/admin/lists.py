"""List pages of the console on tables of millions of rows: count-free paging, cheap filters, index-backed search.

Also the read-only log pages (events, deliveries, attempts, the secret audit).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property

from delivery.models import Event
from subscriptions.models import Endpoint, EventType, Tenant

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
        return [(name, name) for name in EventType.objects.values_list("name", flat=True)[:100]]

    def queryset(self, request, queryset):
        return queryset.filter(**{lookup: self.value()}) if self.value() else queryset

    return type("EventTypeFilter", (admin.SimpleListFilter,),
                {"title": "event type", "parameter_name": "event_type", "lookups": lookups, "queryset": queryset})


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
