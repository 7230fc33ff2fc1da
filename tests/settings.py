"""Test settings: the project's own, with a separate var/ folder and local receivers allowed."""

import os
from pathlib import Path

# DEBUG is off here, as in production, so the development key would be refused (hookplatform/checks.py).
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("HOOKPLATFORM_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))
os.environ.setdefault("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "1")
# A fixed Fernet key for secrets at rest (M9); worker processes inherit it, tests may pass their own.
os.environ.setdefault("WEBHOOKS_ENCRYPTION_KEYS", "3V01rDde8t-KSxtG18TkJvjdgXCA7ZHioa_TRogtp9o=")

from hookplatform.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# WhiteNoise serves STATIC_ROOT with DEBUG off, as here; an empty one is enough (and spares its warning).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Writes down signals fired in any process (the worker's too) for the tests to read.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.probe"]  # noqa: F405

# In-process tests run inside a transaction no other thread can see, so a
# batch waits for all its requests here; the worker processes (tests/worker.py)
# use the production default and record slow outcomes from their recorder thread.
WEBHOOKS_BATCH_PATIENCE = float(os.environ.get("WEBHOOKS_BATCH_PATIENCE", "30"))

# One process's memory: the throttle's counters start empty with each run (production uses Redis
# when configured; tests/api/test_throttling.py covers that with a private Redis).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The live server the browser tests drive speaks plain HTTP (production cookies are Secure: README "Production").
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
