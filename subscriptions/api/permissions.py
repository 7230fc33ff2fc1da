"""Who may do what: any live key reads, platform keys administer."""

from rest_framework import permissions


def is_platform(request):
    return request.auth is not None and request.auth.is_platform


class HasApiKey(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.auth is not None


class PlatformKeyForWrites(HasApiKey):
    """The shared catalogue: every key reads it, only platform keys change it."""

    message = "Only a platform key may change the event-type catalogue."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return super().has_permission(request, view)
        return is_platform(request)


class PlatformKeyOnly(HasApiKey):
    """Tenants and API keys are the platform's business.

    A tenant key reaching for another tenant's object still gets 404 (the
    scoped lookup runs first), so this refusal tells nothing about others.
    """

    message = "This needs a platform key."

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        lookup = view.lookup_url_kwarg or view.lookup_field
        return is_platform(request) or lookup in view.kwargs

    def has_object_permission(self, request, view, obj):
        return is_platform(request)


class PlatformKeyRequired(HasApiKey):
    """API keys: nothing here for a tenant key, whatever the object."""

    message = "This needs a platform key."

    def has_permission(self, request, view):
        return is_platform(request)
