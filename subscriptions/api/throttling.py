"""Rate limits per API key, configurable with ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``.

The rate is read at request time (not at import), so a host's settings and
``override_settings`` take effect; without one, ``DEFAULT_RATE`` applies.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

SCOPE = "hookplatform"
DEFAULT_RATE = "1200/minute"


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = SCOPE

    def __init__(self):
        pass  # the rate is looked up per request in allow_request

    def get_rate(self):
        return (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope, DEFAULT_RATE)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        ident = f"key{request.auth.pk}" if request.auth is not None else f"ip{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
