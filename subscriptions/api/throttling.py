"""Rate limits per API key, and on failed authentications per client address.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``hookplatform``
and ``hookplatform_auth_failures``), read at request time so that a host's
settings and ``override_settings`` take effect.  Counters live in Django's
default cache: give every process the same one (Redis) or each counts alone.
"""

import logging
import time
from functools import wraps

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

SCOPE = "hookplatform"
DEFAULT_RATE = "1200/minute"
AUTH_FAILURE_SCOPE = "hookplatform_auth_failures"
DEFAULT_AUTH_FAILURE_RATE = "20/minute"
logger = logging.getLogger(__name__)


def fail_open(answer):
    """With the shared cache (Redis) down, requests go on unthrottled rather than all failing with a 500."""

    def decorate(method):
        @wraps(method)
        def guarded(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except Exception:  # any cache backend's connection error
                logger.warning("throttle cache unavailable; not throttling", exc_info=True)
                return answer

        return guarded

    return decorate


class _ConfiguredRate(SimpleRateThrottle):
    default_rate = None

    def __init__(self):
        pass  # the rate is looked up per request

    def get_rate(self):
        return (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope, self.default_rate)

    def configure(self):
        """False when the rate is switched off (``None``)."""
        self.rate = self.get_rate()
        if self.rate is None:
            return False
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return True

    def get_ident(self, request):
        """The client address; X-Forwarded-For only counts behind ``NUM_PROXIES`` trusted proxies.

        DRF trusts the whole header when ``NUM_PROXIES`` is unset, which lets
        any client pick its identity; here unset means no proxy.
        """
        num_proxies = api_settings.NUM_PROXIES or 0
        xff = request.headers.get("x-forwarded-for")
        if num_proxies == 0 or not xff:
            return request.META.get("REMOTE_ADDR")
        addresses = xff.split(",")
        return addresses[-min(num_proxies, len(addresses))].strip()


class ApiKeyRateThrottle(_ConfiguredRate):
    scope = SCOPE
    default_rate = DEFAULT_RATE

    @fail_open(True)
    def allow_request(self, request, view):
        if not self.configure():
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        ident = f"key{request.auth.pk}" if request.auth is not None else f"ip{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class FailedAuthThrottle(_ConfiguredRate):
    """Counts refused keys per client address; over the rate, that address gets 429s until the window passes.

    Only failures count, so a client with a good key is never slowed by this.
    """

    scope = AUTH_FAILURE_SCOPE
    default_rate = DEFAULT_AUTH_FAILURE_RATE

    def _load(self, request):
        self.key = self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        self.now = time.time()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]

    @fail_open(False)
    def blocked(self, request):
        if not self.configure():
            return False
        self._load(request)
        return len(self.history) >= self.num_requests

    @fail_open(None)
    def record_failure(self, request):
        if not self.configure():
            return
        self._load(request)
        self.cache.set(self.key, [self.now, *self.history][: self.num_requests], self.duration)
