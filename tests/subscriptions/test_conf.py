"""The settings table: the settings object, the system check and the README all follow it, and it is the one
module that names ``WEBHOOKS_*`` settings."""

import ast
import importlib.util
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from subscriptions import conf
from tests.worker import ROOT

NAMES = {row.name for row in conf.KNOBS}


def readme_settings():
    """``{knob: default cell}`` of the README's settings table, for every ``WEBHOOKS_*`` row."""
    section = (ROOT / "README.md").read_text().split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `(WEBHOOKS_[A-Z0-9_]+)` \| (.*?) \|", section, re.M))


def test_the_readme_documents_every_knob_of_the_table_and_no_other():
    assert set(readme_settings()) == NAMES


def stated_default(cell):
    """The raw value a README default cell states, or None when it says it in words (``half of ...``)."""
    one_value = re.fullmatch(r"`([^`]*)`(?: \(.*\))?", cell)
    if one_value and not re.fullmatch(r"[A-Z_]+", one_value[1]):  # not another setting's name
        return one_value[1]
    return {"off": "off", "none": "", "empty": "", "unset": ""}.get(cell.split()[0])


def test_the_defaults_the_readme_states_are_the_tables():
    rows = {conf.knob(name.removeprefix("WEBHOOKS_").lower()): stated_default(cell)
            for name, cell in readme_settings().items()}
    stated = {row: value for row, value in rows.items() if value is not None}
    assert len(stated) >= len(rows) - 3  # the others say it in words: half of..., a port list, SECRET_KEY
    for row, value in stated.items():
        assert row.parse(value) == row.parse(row.default), row.name


def test_the_settings_object_has_an_attribute_per_knob_and_hides_secrets(settings):
    settings.WEBHOOKS_API_KEY_PEPPER = "pepper-" + "p" * 40
    current = conf.get()
    assert {row.attr for row in conf.KNOBS} <= set(vars(current))
    assert current.api_key_pepper == "pepper-" + "p" * 40
    assert "pepper-" not in repr(current) and current.encryption_keys[0] not in repr(current)
    with pytest.raises(AttributeError):
        current.batch_size = 1  # frozen


def test_a_changed_setting_is_read_again(settings):
    settings.WEBHOOKS_BATCH_SIZE = 7
    assert conf.get().batch_size == 7
    settings.WEBHOOKS_SEND_CONCURRENCY, settings.WEBHOOKS_MAX_ENDPOINTS_PER_TENANT = "6", 0
    assert (conf.get().tenant_concurrency, conf.get().max_endpoints_per_tenant) == (3, None)


def test_from_environ_takes_the_knobs_set_and_nothing_else():
    environ = {"WEBHOOKS_BATCH_SIZE": "7", "WEBHOOKS_TIMEOUT": "", "WEBHOOKS_NO_SUCH_KNOB": "1", "PATH": "/bin"}
    assert conf.from_environ(environ) == {"WEBHOOKS_BATCH_SIZE": "7"}
    assert environ["WEBHOOKS_TIMEOUT"] == ""  # untouched


BAD_VALUES = {
    "WEBHOOKS_BATCH_SIZE": [0, "abc", "1.5", 2.5],
    "WEBHOOKS_TIMEOUT": [-1, "0", "nan", "soon"],
    "WEBHOOKS_RETRY_SCHEDULE": ["5,x", (5, -1), 300],
    "WEBHOOKS_RETRY_JITTER": [1.5, "-0.1"],
    "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": ["maybe"],
    "WEBHOOKS_ALLOWED_PORTS": ["443,70000", "http", "10-5"],
    "WEBHOOKS_TENANT_CONCURRENCY": [-2],
    "WEBHOOKS_MAX_ENDPOINTS_PER_TENANT": [-3],
    "WEBHOOKS_RECOVER_WINDOW": ["soon", "", None],
    "WEBHOOKS_RETENTION": ["-1d", "1h"],  # 1h: shorter than the idempotency window
    "WEBHOOKS_DISPATCH_MAX_BATCHES": ["0"],
}
BAD_VALUES |= {  # issue 15
    "WEBHOOKS_CLOUDEVENTS_SOURCE": ["", "has space", "/caf\u00e9", "/x" * 1025],
}


@pytest.mark.parametrize("name, value", [(name, value) for name, values in BAD_VALUES.items() for value in values])
def test_the_check_refuses_a_bad_value_naming_its_knob(settings, name, value):
    setattr(settings, name, value)
    with pytest.raises(SystemCheckError) as refused:
        call_command("check")
    assert f"subscriptions.E003) {name}: " in str(refused.value)


def test_a_bad_value_is_not_used_either(settings):
    settings.WEBHOOKS_BATCH_SIZE, settings.WEBHOOKS_TIMEOUT = 0, "-1"
    with pytest.raises(ImproperlyConfigured, match=r"WEBHOOKS_TIMEOUT: .*; WEBHOOKS_BATCH_SIZE: "):
        conf.get()


def test_a_refused_secret_is_not_repeated(settings):
    settings.WEBHOOKS_ENCRYPTION_KEYS = 12345678987654321
    with pytest.raises(SystemCheckError) as refused:
        call_command("check")
    assert "WEBHOOKS_ENCRYPTION_KEYS: " in str(refused.value) and "12345678987654321" not in str(refused.value)


def test_the_values_of_every_kind_the_table_takes_pass_the_check(settings):
    settings.WEBHOOKS_RETRY_SCHEDULE, settings.WEBHOOKS_RETRY_JITTER = "", 0
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS, settings.WEBHOOKS_NOTIFY_EMAIL = "off", True
    settings.WEBHOOKS_ALLOWED_PORTS, settings.WEBHOOKS_RETENTION = [443, "8000-8999"], 30 * 86400
    settings.WEBHOOKS_TENANT_CONCURRENCY, settings.WEBHOOKS_MAX_ENDPOINTS_PER_TENANT = None, None
    settings.WEBHOOKS_API_KEY_PEPPER_FALLBACKS = "old-one,old-two"
    call_command("check")
    current = conf.get()
    assert current.max_attempts == 1 and current.allowed_ports == ((443, 443), (8000, 8999))
    assert current.api_key_pepper_fallbacks == ("old-one", "old-two") and not current.allow_private_networks


# --- Exactly one module names the WEBHOOKS_* settings: the table ---------------------------------------------------
# Outside subscriptions/conf.py, the code of delivery/, subscriptions/ and hookplatform/ may not name a setting:
# - no identifier (variable, attribute, keyword, argument, function or import) containing WEBHOOKS_, as in
#   `settings.WEBHOOKS_TIMEOUT` or a settings module's `WEBHOOKS_TIMEOUT = ...`;
# - no string literal that is one word starting with WEBHOOKS_, as a key or prefix for getattr, os.environ, a
#   settings dict or `setting.startswith(...)`.
# Prose may mention a knob: docstrings, comments, and messages or help texts where it is a word among others; they
# tell a reader which knob to set and cannot read one.  Such a module takes the name from the table instead
# (`conf.knob("encryption_keys").name`).
PACKAGES = ("delivery", "subscriptions", "hookplatform")
THE_TABLE = ROOT / "subscriptions" / "conf.py"
IDENTIFIER_FIELDS = ("id", "attr", "arg", "name", "asname")


def settings_named(source):
    """``(line, what)`` for each place where ``source`` names a ``WEBHOOKS_*`` setting as code does."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.fullmatch(r"WEBHOOKS_\S*", node.value.strip()):
                found.append((node.lineno, repr(node.value)))
            continue
        for field in IDENTIFIER_FIELDS:
            identifier = getattr(node, field, None)
            if isinstance(identifier, str) and "WEBHOOKS_" in identifier:
                found.append((getattr(node, "lineno", 0), identifier))
    return found


def package_sources():
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py") if path != THE_TABLE)


def test_only_the_settings_table_names_webhooks_settings():
    violations = [f"{path.relative_to(ROOT)}:{line}: {what}"
                  for path in package_sources() for line, what in settings_named(path.read_text())]
    assert not violations, "name these settings only in subscriptions/conf.py:\n" + "\n".join(violations)


def test_the_scan_sees_code_naming_a_setting_and_lets_prose_through():
    code = {
        'getattr(settings, "WEBHOOKS_TIMEOUT", 15)': "'WEBHOOKS_TIMEOUT'",
        'os.environ.get("WEBHOOKS_BATCH_SIZE")': "'WEBHOOKS_BATCH_SIZE'",
        "settings.WEBHOOKS_RETRY_SCHEDULE": "WEBHOOKS_RETRY_SCHEDULE",
        "WEBHOOKS_TIMEOUT = 3": "WEBHOOKS_TIMEOUT",
        'override_settings(WEBHOOKS_TIMEOUT=3)': "WEBHOOKS_TIMEOUT",
        'f"WEBHOOKS_{name}"': "'WEBHOOKS_'",
        'name.startswith("WEBHOOKS_")': "'WEBHOOKS_'",
    }
    for source, what in code.items():
        assert settings_named(source) == [(1, what)], source
    prose = ('"""Waits ``WEBHOOKS_DNS_TIMEOUT`` at most."""\n'
             '# set WEBHOOKS_TIMEOUT for slower receivers\n'
             'raise ValueError(f"since may be at most {age} ago (WEBHOOKS_RECOVER_WINDOW).")\n')
    assert settings_named(prose) == []
    assert THE_TABLE.exists() and len(package_sources()) > 50


def test_body_templates_without_jinja2_are_refused_at_start_up(settings, monkeypatch):
    from subscriptions import checks

    settings.WEBHOOKS_BODY_TEMPLATES = True
    assert checks.check_body_templates() == []  # Jinja2 is installed here
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jinja2" else real(name, *a))
    with pytest.raises(SystemCheckError) as refused:
        call_command("check")
    assert "subscriptions.E004) WEBHOOKS_BODY_TEMPLATES is on, but Jinja2 is not installed." in str(refused.value)
    settings.WEBHOOKS_BODY_TEMPLATES = False
    assert checks.check_body_templates() == []
