"""M10, L10: with DEBUG off, every entry point refuses a public SECRET_KEY or ALLOWED_HOSTS=*, and the
README's production variables pass `manage.py check --deploy` with nothing to report."""

import os
import re
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.worker import ROOT, free_port

UNSAFE = {
    "development key": ({"DJANGO_SECRET_KEY": None}, "hookplatform.E001"),
    "any host": ({"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "*"}, "hookplatform.E002"),
}


def production_env(tmp_path, overrides):
    """The environment of a production process: DEBUG off, nothing of the test run's own settings."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("DJANGO_", "WEBHOOKS_", "HOOKPLATFORM_", "CELERY_", "DATABASE_", "REDIS_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "hookplatform.settings", "HOOKPLATFORM_VAR_DIR": str(tmp_path / "var"),
                "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
                "WEBHOOKS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                # A dead broker: the refusal must come before any connection.
                "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"})
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


ENTRY_POINTS = {
    "manage.py check": [sys.executable, "manage.py", "check"],
    "manage.py migrate": [sys.executable, "manage.py", "migrate", "--noinput"],
    "gunicorn": [sys.executable, "-m", "gunicorn", "hookplatform.wsgi:application", "--bind", "127.0.0.1:0",
                 "--workers", "1"],
    "celery worker": [sys.executable, "-m", "celery", "-A", "hookplatform", "worker", "-c", "1"],
    "celery beat": [sys.executable, "-m", "celery", "-A", "hookplatform", "beat"],
}


@pytest.mark.parametrize("unsafe", UNSAFE)
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_every_entry_point_refuses_unsafe_production_settings(tmp_path, entry_point, unsafe):
    """M10: with DJANGO_DEBUG off, the development SECRET_KEY was used silently (and '*' accepted)."""
    overrides, error_id = UNSAFE[unsafe]
    done = subprocess.run(ENTRY_POINTS[entry_point], cwd=ROOT, env=production_env(tmp_path, overrides),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert error_id in done.stdout + done.stderr


def readme_production_variables():
    section = (ROOT / "README.md").read_text().split("## Production", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return dict(re.findall(r"^([A-Z0-9_]+)=(\S+)", block, re.M))


def placeholder(name):
    if name == "WEBHOOKS_ENCRYPTION_KEYS":
        return Fernet.generate_key().decode()
    return secrets.token_urlsafe(50)


def test_the_readmes_production_variables_pass_check_deploy(tmp_path):
    """M10, L10: `check --deploy` reported the missing HSTS, Secure cookies and SSL redirect."""
    variables = readme_production_variables()
    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "WEBHOOKS_ENCRYPTION_KEYS"} <= set(variables)
    values = {name: placeholder(name) if value.startswith("<") else value for name, value in variables.items()}
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"], cwd=ROOT,
                          env=production_env(tmp_path, values), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (0 silenced)" in done.stdout


def test_cookies_are_secure_with_debug_off_and_the_proxy_header_only_when_asked(tmp_path):
    """L10: no Secure cookies, HSTS or proxy SSL header existed."""
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)")
    key = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    default = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=production_env(tmp_path, key),
                             capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert default == ["True", "True", "0", "None"]
    behind_proxy = {**key, "DJANGO_SECURE_PROXY_SSL_HEADER": "1", "DJANGO_SECURE_HSTS_SECONDS": "600"}
    configured = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=production_env(tmp_path, behind_proxy),
                                capture_output=True, text=True, timeout=60, check=True).stdout
    assert "600 ('HTTP_X_FORWARDED_PROTO', 'https')" in configured


def shop_settings(env):
    code = "import shop_project.settings as s; print(s.WEBHOOKS_ALLOW_PRIVATE_NETWORKS, len(s.SECRET_KEY))"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SHOP_", "DJANGO_"))}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT / "examples" / "host_shop",
                          env={**base, "SHOP_VAR_DIR": str(ROOT / "var" / "test" / "shop"), **env},
                          capture_output=True, text=True, timeout=60)


def test_the_example_host_has_no_fixed_key_and_ssrf_protection_unless_asked():
    """L22: the example shop (which embedders copy) had a fixed SECRET_KEY and SSRF protection off, DEBUG off."""
    refused = shop_settings({})
    assert refused.returncode != 0 and "Set SHOP_SECRET_KEY" in refused.stderr
    key = {"SHOP_SECRET_KEY": secrets.token_urlsafe(50)}
    assert shop_settings(key).stdout.split() == ["False", str(len(key["SHOP_SECRET_KEY"]))]
    assert shop_settings({**key, "SHOP_ALLOW_PRIVATE_NETWORKS": "1"}).stdout.split()[0] == "True"
