"""System checks of this app's settings (``manage.py check``, ``migrate``, ``runserver``).

hookplatform's gunicorn and Celery entry points run them too
(``hookplatform.checks.refuse_unsafe_start``), so a bad value stops every process at start-up.
"""

import importlib.util
import os

from django.conf import settings
from django.core import checks

from subscriptions import conf, encryption


@checks.register()
def check_settings(app_configs=None, **kwargs):
    """Every ``WEBHOOKS_*`` value parses and is in range; a refused one is named, with what the knob does."""
    return [checks.Error(str(problem), hint=f"{problem.knob.doc} Default: {_shown(problem.knob.default)}.",
                         id="subscriptions.E003")
            for problem in conf.problems()]


def _shown(default):
    if isinstance(default, tuple):
        return ",".join(f"{value:g}" for value in default) or "empty"
    return "unset" if default in (None, "") else repr(default)


@checks.register(checks.Tags.security)
def check_encryption_keys(app_configs=None, **kwargs):
    """Without DEBUG, secrets at rest need a real key: a derived or missing one is refused."""
    try:
        keys = conf.knob("encryption_keys").read()
    except conf.InvalidSetting:
        return []  # check_settings names it
    if not keys and not settings.DEBUG:
        return [checks.Error(encryption.MISSING, id="subscriptions.E001",
                             hint=f"Generate a key with: {encryption.GENERATE_HINT}")]
    bad = encryption.invalid_keys(keys)
    if bad:
        return [checks.Error(f"{encryption.SETTING}: key number {', '.join(map(str, bad))} is not a Fernet key.",
                             hint=f"Generate a key with: {encryption.GENERATE_HINT}", id="subscriptions.E002")]
    return []


@checks.register()
def check_body_templates(app_configs=None, **kwargs):
    """Body templates need Jinja2, and ``os.fork`` for their bounded renders: said at start-up rather than
    at the first endpoint saved with a template."""
    try:
        enabled = conf.knob("body_templates").read()
    except conf.InvalidSetting:
        return []  # check_settings names it
    if not enabled:
        return []
    if importlib.util.find_spec("jinja2") is None:
        return [checks.Error("WEBHOOKS_BODY_TEMPLATES is on, but Jinja2 is not installed.",
                             hint='pip install "hookplatform[templates]" (or Jinja2>=3.1), or turn the setting off.',
                             id="subscriptions.E004")]
    if not hasattr(os, "fork"):
        return [checks.Error("WEBHOOKS_BODY_TEMPLATES is on, but this platform has no os.fork: each render "
                             "runs in a forked child, bounded in time and memory.",
                             hint="Run the workers on Linux or macOS, or turn the setting off.",
                             id="subscriptions.E005")]
    return []
