"""Admin actions that confirm before acting: the operator sees what will happen, then the domain does it.

Every action only gathers the operator's confirmation (and an argument such
as a reason or a time) and then calls a domain function; the rules, and
the refusals the operator reads, come from ``delivery/`` and ``subscriptions/``.
"""

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

MAX_SELECTED = 1000  # rows one action may touch; bulk resends go through "recover endpoint"
CONFIRM_TEMPLATE = "admin/hookplatform/confirm_action.html"
CHANGE_FORM_TEMPLATE = "admin/hookplatform/change_form.html"


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
