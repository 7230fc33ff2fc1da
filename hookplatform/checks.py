"""Start-up refuses unsafe production settings (DEBUG off): a known SECRET_KEY, any Host.

These are system checks, so ``manage.py check``, ``migrate`` and ``runserver``
refuse to go on; gunicorn (hookplatform/wsgi.py) and the Celery worker and
beat (hookplatform/celery.py) run :func:`refuse_unsafe_start`, since neither
runs Django's checks on its own.
"""

from django.conf import settings
from django.core import checks
from django.core.management.base import SystemCheckError


@checks.register(checks.Tags.security)
def check_production_settings(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    development_key = getattr(settings, "DEVELOPMENT_SECRET_KEY", None)
    if development_key and development_key in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        errors.append(checks.Error(
            "SECRET_KEY is the development key, which is public.",
            hint="Set DJANGO_SECRET_KEY to a long random value, e.g. the output of "
                 "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` "
                 "(or DJANGO_DEBUG=1 for local development).",
            id="hookplatform.E001",
        ))
    if "*" in settings.ALLOWED_HOSTS:
        errors.append(checks.Error(
            "ALLOWED_HOSTS accepts any Host header ('*').",
            hint="Set DJANGO_ALLOWED_HOSTS to the comma-separated names clients use, e.g. hooks.example.com.",
            id="hookplatform.E002",
        ))
    return errors


def refuse_unsafe_start():
    """Raise ``SystemCheckError`` listing every serious, unsilenced check message (as runserver would)."""
    serious = [message for message in checks.run_checks() if message.is_serious() and not message.is_silenced()]
    if serious:
        raise SystemCheckError("Refusing to start:\n" + "\n".join(str(message) for message in serious))
