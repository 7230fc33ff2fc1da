"""Our apps' labels changed (``subscriptions`` → ``hookplatform_subscriptions``, ``delivery`` →
``hookplatform_delivery``): a database migrated by the release before keeps its data and its staff's
permissions after a plain ``migrate``, and a host's own app labelled ``subscriptions`` does not stop
ours being created (subscriptions/relabelling.py).

The "before" is the real thing: the code of the last commit with the old labels, exported from git
and run in its own process on a scratch database (SQLite, or PostgreSQL when ``DATABASE_URL`` says so).
"""

import io
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import dj_database_url
import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
OLD_LABELS_COMMIT = "88be3ebf10d1667842843680cc4bb1a45002d688"  # main before the relabel
KEY = "3V01rDde8t-KSxtG18TkJvjdgXCA7ZHioa_TRogtp9o="
SECRET = "whsec_" + "b" * 43 + "="
OUR_MIGRATIONS = len([*ROOT.glob("subscriptions/migrations/0*.py"), *ROOT.glob("delivery/migrations/0*.py")])

OLD_INSTALLATION = """
import json
from django.contrib.auth.models import Group, Permission, User
from delivery.models import Delivery, Event
from subscriptions import create_endpoint, create_tenant
tenant = create_tenant("org_up", name="Upgraded")
endpoint = create_endpoint("org_up", url="https://u:pw@hooks.example.com/in", secret="<SECRET>")
event = Event.objects.create(tenant=tenant, event_type="invoice.paid", body='{"n": 1}')
Delivery.objects.create(event=event, endpoint=endpoint, tenant=tenant)
reveal = Permission.objects.get(codename="reveal_secret")
User.objects.create_user("ops", is_staff=True).user_permissions.add(reveal)
viewers = Group.objects.create(name="viewers")
viewers.permissions.add(Permission.objects.get(codename="view_delivery"))
User.objects.create_user("viewer", is_staff=True).groups.add(viewers)
print(json.dumps({"reveal_permission": reveal.pk, "event": event.pk, "endpoint": endpoint.pk}))
""".replace("<SECRET>", SECRET)

# Stopped half-way: only subscriptions 0001-0002 applied, the secret still in plain text (0003 encrypts).
HALF_WAY_INSTALLATION = """
from django.db import connection
from django.db.migrations.loader import MigrationLoader
old = MigrationLoader(connection).project_state(("subscriptions", "0002_endpoint_rate_window")).apps
tenant = old.get_model("subscriptions", "Tenant").objects.create(uid="org_up")
endpoint = old.get_model("subscriptions", "Endpoint").objects.create(
    id="ep_half", tenant=tenant, url="https://u:pw@hooks.example.com/in")
old.get_model("subscriptions", "EndpointSecret").objects.create(endpoint=endpoint, key="<SECRET>")
""".replace("<SECRET>", SECRET)

FACTS = """
import json
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db.migrations.recorder import MigrationRecorder
from delivery.models import Delivery
from subscriptions import reveal_secret
from subscriptions.models import Endpoint, EndpointSecret
endpoint = Endpoint.objects.get()
ops, viewer = User.objects.filter(username="ops").first(), User.objects.filter(username="viewer").first()
print(json.dumps({
    "secret": reveal_secret(endpoint), "stored_secret": EndpointSecret.objects.get().key,
    "url": endpoint.url_to_send(), "endpoint": endpoint.pk,
    "deliveries": [[d.event_id, d.endpoint_id] for d in Delivery.objects.all()],
    "reveal_permission": Permission.objects.get(codename="reveal_secret").pk,
    "ops_may_reveal": ops.has_perm("hookplatform_subscriptions.reveal_secret") if ops else None,
    "viewer_may_view": viewer.has_perm("hookplatform_delivery.view_delivery") if viewer else None,
    "old_content_types": list(ContentType.objects.filter(app_label__in=["subscriptions", "delivery"])
                              .values_list("model", flat=True)),
    "old_rows": list(MigrationRecorder.Migration.objects.filter(app__in=["subscriptions", "delivery"])
                     .values_list("app", "name")),
}))
"""


class Installation:
    """A database and a copy of the code that runs ``manage.py`` on it, each in its own process."""

    def __init__(self, database_url, var_dir, **env):
        self.env = {**os.environ, "DATABASE_URL": database_url, "HOOKPLATFORM_VAR_DIR": str(var_dir),
                    "DJANGO_SETTINGS_MODULE": "hookplatform.settings", "DJANGO_SECRET_KEY": "relabel-" + "x" * 50,
                    "WEBHOOKS_ENCRYPTION_KEYS": KEY, "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "1", "PYTHONPATH": "", **env}
        # migrate hands nothing to a broker: an in-memory one, so no process starts an embedded broker and leaves it
        self.env["CELERY_BROKER_URL"] = "memory://"

    def manage(self, code_dir, *args, check=True):
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=code_dir, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if check:
            assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def run(self, code_dir, script):
        return json.loads(self.manage(code_dir, "shell", "-c", script).stdout.strip().splitlines()[-1])


@pytest.fixture
def old_code(tmp_path):
    """The apps, project and migrations of the last commit with the old labels."""
    if subprocess.run(["git", "cat-file", "-e", f"{OLD_LABELS_COMMIT}^{{commit}}"], cwd=ROOT,
                      capture_output=True).returncode:
        pytest.skip(f"needs the git history with commit {OLD_LABELS_COMMIT[:7]} (the last with the old labels)")
    target = tmp_path / "old"
    target.mkdir()
    archive = subprocess.run(["git", "archive", OLD_LABELS_COMMIT, "manage.py", "hookplatform", "subscriptions",
                              "delivery"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


@pytest.fixture
def scratch_database_url(tmp_path):
    """A database of its own: a SQLite file, or a scratch PostgreSQL database when the suite runs on one."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'upgraded.sqlite3'}"
        return
    import psycopg

    config, name = dj_database_url.parse(url), f"hp_relabel_{uuid.uuid4().hex[:8]}"
    admin = {"host": config["HOST"], "port": config["PORT"] or 5432, "user": config["USER"],
             "password": config["PASSWORD"], "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(**admin) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def installation(scratch_database_url, tmp_path):
    return Installation(scratch_database_url, tmp_path / "var")


def assert_fully_migrated(installation):
    """A second ``migrate`` has nothing to do, and every migration of ours shows applied under its new label."""
    assert installation.manage(ROOT, "migrate", "--check", check=False).returncode == 0
    shown = installation.manage(ROOT, "showmigrations", "hookplatform_subscriptions", "hookplatform_delivery").stdout
    assert "[ ]" not in shown and shown.count("[X]") == OUR_MIGRATIONS


def test_an_installation_of_the_old_labels_keeps_its_data_and_permissions(old_code, installation):
    installation.manage(old_code, "migrate")
    before = installation.run(old_code, OLD_INSTALLATION)

    migrated = installation.manage(ROOT, "migrate").stdout
    assert "hookplatform_subscriptions.0001_initial... OK" in migrated
    after = installation.run(ROOT, FACTS)

    assert after["secret"] == SECRET and after["url"] == "https://u:pw@hooks.example.com/in"
    assert after["deliveries"] == [[before["event"], before["endpoint"]]]
    assert after["reveal_permission"] == before["reveal_permission"]  # the same row, with its user links
    assert after["ops_may_reveal"] is True and after["viewer_may_view"] is True
    assert after["old_content_types"] == [] and after["old_rows"] == []
    assert_fully_migrated(installation)


def test_an_installation_stopped_half_way_through_the_old_history_finishes_it(old_code, installation):
    installation.manage(old_code, "migrate", "subscriptions", "0002_endpoint_rate_window")
    installation.manage(old_code, "shell", "-c", HALF_WAY_INSTALLATION)

    installation.manage(ROOT, "migrate")
    after = installation.run(ROOT, FACTS)

    assert after["secret"] == SECRET and after["stored_secret"] != SECRET  # 0003 ran: encrypted at rest
    assert after["url"] == "https://u:pw@hooks.example.com/in" and after["deliveries"] == []
    assert after["old_rows"] == []
    assert_fully_migrated(installation)


HOST_APP = {
    "billing/__init__.py": "",
    "billing/apps.py": """
        from django.apps import AppConfig

        class BillingConfig(AppConfig):
            name = "billing"
            label = "subscriptions"
            default_auto_field = "django.db.models.BigAutoField"
        """,
    "billing/models.py": """
        from django.db import models

        class Plan(models.Model):
            name = models.CharField(max_length=50)
        """,
    "billing/migrations/__init__.py": "",
    "billing/migrations/0001_initial.py": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            initial = True
            operations = [migrations.CreateModel("Plan", [
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=50))])]
        """,
    "host_settings.py": """
        from hookplatform.settings import *  # noqa

        INSTALLED_APPS = [*INSTALLED_APPS, "billing.apps.BillingConfig"]
        """,
}


def test_a_host_app_labelled_subscriptions_and_migrated_first_does_not_stop_ours(installation, tmp_path):
    host = tmp_path / "host"
    for path, text in HOST_APP.items():
        (host / path).parent.mkdir(parents=True, exist_ok=True)
        (host / path).write_text(textwrap.dedent(text))
    installation.env.update(DJANGO_SETTINGS_MODULE="host_settings", PYTHONPATH=str(host))
    installation.manage(ROOT, "migrate", "subscriptions")  # the host's own 0001_initial, before ours exist

    installation.manage(ROOT, "migrate")
    installation.manage(ROOT, "shell", "-c", "from subscriptions import create_endpoint, create_tenant; "
                        "create_tenant('org_h'); create_endpoint('org_h', url='https://hooks.example.com/in')")
    facts = installation.run(ROOT, FACTS)
    assert facts["url"] == "https://hooks.example.com/in" and facts["secret"].startswith("whsec_")
    assert facts["old_rows"] == [["subscriptions", "0001_initial"]]  # the host's, left alone
    assert facts["old_content_types"] == ["plan"]
    plans = "import json; from billing.models import Plan; print(json.dumps(Plan.objects.count()))"
    assert installation.run(ROOT, plans) == 0
    assert_fully_migrated(installation)


def test_the_migrations_under_the_new_labels_match_the_models(db):
    call_command("makemigrations", "hookplatform_subscriptions", "hookplatform_delivery", "--check", "--dry-run",
                 stdout=io.StringIO())  # exits 1 when a model change has no migration
