"""Every knob the README documents works from the environment of the standalone project, and a bad one stops
`manage.py check` naming it (issue 13, step 7: WEBHOOKS_API_KEY_PEPPER was documented and once ignored)."""

import json
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from subscriptions import conf
from tests.ecosystem.test_production_settings import production_env
from tests.subscriptions.test_conf import readme_settings
from tests.worker import ROOT

KEYS = [Fernet.generate_key().decode() for _ in range(2)]
PEPPER = "pepper-" + secrets.token_urlsafe(30)

# Each documented knob: a value other than its default, as the environment gives it, and what the settings
# object then holds (as JSON).
SAMPLES = {
    "WEBHOOKS_RETRY_SCHEDULE": ("1, 2,3", [1.0, 2.0, 3.0]),
    "WEBHOOKS_RETRY_JITTER": ("0.1", 0.1),
    "WEBHOOKS_TIMEOUT": ("7.5", 7.5),
    "WEBHOOKS_DISABLE_AFTER": ("3600", 3600.0),
    "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": ("yes", True),
    "WEBHOOKS_REQUIRE_HTTPS": ("on", True),
    "WEBHOOKS_SECRET_GRACE_PERIOD": ("60", 60.0),
    "WEBHOOKS_SECRET_ROTATIONS_PER_HOUR": ("3", 3),
    "WEBHOOKS_ENCRYPTION_KEYS": (",".join(KEYS), KEYS),
    "WEBHOOKS_IDEMPOTENCY_WINDOW": ("7200", 7200.0),
    "WEBHOOKS_MAX_PAYLOAD_BYTES": ("1000", 1000),
    "WEBHOOKS_RESPONSE_BODY_LIMIT": ("100", 100),
    "WEBHOOKS_BATCH_SIZE": ("7", 7),
    "WEBHOOKS_SEND_CONCURRENCY": ("6", 6),
    "WEBHOOKS_ENDPOINT_CONCURRENCY": ("2", 2),
    "WEBHOOKS_TENANT_CONCURRENCY": ("5", 5),
    "WEBHOOKS_MAX_ENDPOINTS_PER_TENANT": ("0", None),
    "WEBHOOKS_ALLOWED_PORTS": ("443,8000-8999", [[443, 443], [8000, 8999]]),
    "WEBHOOKS_DNS_TIMEOUT": ("0.5", 0.5),
    "WEBHOOKS_BATCH_PATIENCE": ("0.2", 0.2),
    "WEBHOOKS_DISPATCH_INTERVAL": ("0.25", 0.25),
    "WEBHOOKS_QUEUE_LEASE": ("60", 60.0),
    "WEBHOOKS_LEASE_MARGIN": ("5", 5.0),
    "WEBHOOKS_OUTBOX_GRACE": ("3", 3.0),
    "WEBHOOKS_DISPATCH_MAX_BATCHES": ("4", 4),
    "WEBHOOKS_HEARTBEAT_INTERVAL": ("1.5", 1.5),
    "WEBHOOKS_HEARTBEAT_TIMEOUT": ("30", 30.0),
    "WEBHOOKS_RETENTION": ("30d", 30 * 86400.0),
    "WEBHOOKS_NOTIFY_EMAIL": ("1", True),
    "WEBHOOKS_OPERATIONAL_TENANT": ("ops", "ops"),
    "WEBHOOKS_RECOVER_WINDOW": ("12h", 12 * 3600.0),
    "WEBHOOKS_ENDPOINT_TIMEOUT_MIN": ("2", 2.0),
    "WEBHOOKS_ENDPOINT_TIMEOUT_MAX": ("30", 30.0),
    "WEBHOOKS_ENDPOINT_MAX_RETRIES": ("5", 5),
    "WEBHOOKS_ENDPOINT_MAX_RETRY_DELAY": ("12h", 12 * 3600.0),
    "WEBHOOKS_API_KEY_PEPPER": (PEPPER, PEPPER),
    "WEBHOOKS_API_KEY_PEPPER_FALLBACKS": ("old-one,old-two", ["old-one", "old-two"]),
    "WEBHOOKS_EGRESS_PROXY": ("http://relay:pw@10.0.0.5:3128", "http://relay:pw@10.0.0.5:3128"),
    "WEBHOOKS_OAUTH2_TOKEN_MARGIN": ("10", 10.0),
    # The tenant portal's knobs.
    "WEBHOOKS_PORTAL_TENANT": ("tests.portal.hosts.tenant_of_user", "tests.portal.hosts.tenant_of_user"),
    "WEBHOOKS_PORTAL_FRAME_ANCESTORS": ("https://app.example.com, 'self'", ["https://app.example.com", "'self'"]),
    "WEBHOOKS_PORTAL_LINK_AGE": ("120", 120.0),
    "WEBHOOKS_PORTAL_SESSION_AGE": ("900", 900.0),
    "WEBHOOKS_PORTAL_PRODUCT_NAME": ("Acme Cloud", "Acme Cloud"),
    "WEBHOOKS_PORTAL_LOGO_URL": ("https://cdn.example.com/logo.svg", "https://cdn.example.com/logo.svg"),
    "WEBHOOKS_PORTAL_ACCENT_COLOUR": ("#aa3300", "#aa3300"),
}
SAMPLES |= {  # issue 15
    "WEBHOOKS_CLOUDEVENTS_SOURCE": ("https://shop.example.com/billing", "https://shop.example.com/billing"),
    "WEBHOOKS_BODY_TEMPLATES": ("on", True),
    "WEBHOOKS_TRACEPARENT_HEADER": ("on", True),
}

READ_BACK = ("import json, django; django.setup(); from subscriptions import api_keys, conf; s = conf.get(); "
             "print(json.dumps({'settings': {row.name: getattr(s, row.attr) for row in conf.KNOBS}, "
             "'pepper': api_keys._peppers()[0]}))")


def standalone(tmp_path, args, environ):
    env = production_env(tmp_path, {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), **environ})
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_every_documented_knob_has_a_sample_that_is_not_its_default():
    assert set(SAMPLES) == set(readme_settings())
    for name, (_, expected) in SAMPLES.items():
        row = conf.knob(name.removeprefix("WEBHOOKS_").lower())
        assert json.loads(json.dumps(row.parse(row.default))) != expected, name


def test_every_documented_knob_takes_effect_from_the_environment(tmp_path):
    done = standalone(tmp_path, [sys.executable, "-c", READ_BACK],
                      {name: raw for name, (raw, _) in SAMPLES.items()})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["settings"] == {name: expected for name, (_, expected) in SAMPLES.items()}
    assert seen["pepper"] == PEPPER  # API keys are hashed with it


def test_the_documented_samples_pass_manage_py_check(tmp_path):
    done = standalone(tmp_path, [sys.executable, "manage.py", "check"],
                      {name: raw for name, (raw, _) in SAMPLES.items()})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "no issues" in done.stdout


@pytest.mark.parametrize("name, value", [("WEBHOOKS_BATCH_SIZE", "0"), ("WEBHOOKS_BATCH_SIZE", "abc"),
                                         ("WEBHOOKS_TIMEOUT", "-1"), ("WEBHOOKS_RETRY_SCHEDULE", "5,300,x"),
                                         ("WEBHOOKS_RETENTION", "1h")])
def test_manage_py_check_refuses_a_bad_value_naming_its_knob(tmp_path, name, value):
    done = standalone(tmp_path, [sys.executable, "manage.py", "check"], {name: value})
    assert done.returncode != 0
    # Reported by the system check itself (not a traceback from the first use of the value).
    assert f"(subscriptions.E003) {name}: " in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
