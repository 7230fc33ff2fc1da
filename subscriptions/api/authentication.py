"""``Authorization: Bearer <api key>``: platform keys act on every tenant, tenant keys on their own."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from subscriptions.api.throttling import FailedAuthThrottle
from subscriptions.api_keys import authenticate_key


class ApiKeyUser:
    """What ``request.user`` is for an API call: the key's holder, never a Django user."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, api_key):
        self.api_key = api_key
        self.pk = None

    def __str__(self):
        return f"api key {self.api_key.prefix}"


class BearerKeyAuthentication(authentication.BaseAuthentication):
    """Finds the live ``ApiKey`` by its keyed hash; ``request.auth`` is that ``ApiKey``."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        guard = FailedAuthThrottle()
        if guard.blocked(request):  # before any lookup: guessing costs the guesser, not the database
            raise exceptions.Throttled(guard.wait(), detail="Too many failed authentications from this address.")
        api_key = self._lookup(header)
        if api_key is None:
            guard.record_failure(request)
            raise exceptions.AuthenticationFailed("Invalid or revoked API key." if len(header) == 2 else
                                                  "Malformed Authorization header: use 'Bearer <api key>'.")
        return ApiKeyUser(api_key), api_key

    @staticmethod
    def _lookup(header):
        if len(header) != 2:
            return None
        try:
            return authenticate_key(header[1].decode("ascii"))
        except UnicodeDecodeError:
            return None

    def authenticate_header(self, request):
        return self.keyword


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = BearerKeyAuthentication
    name = "BearerApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key: `Authorization: Bearer hp_...`. A platform key acts on every "
                           "tenant; a tenant key only on its own tenant (anything else answers 404).",
        }
