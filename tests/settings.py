"""Test settings: the project's own, with a separate var/ folder and local receivers allowed."""

import os
from pathlib import Path

os.environ.setdefault("HOOKPLATFORM_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))
os.environ.setdefault("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "1")

from hookplatform.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Writes down signals fired in any process (the worker's too) for the tests to read.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.probe"]  # noqa: F405
