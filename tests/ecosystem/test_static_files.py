"""With DEBUG off (gunicorn, the Docker image), the admin's and the API docs' files are still served."""

import os
import subprocess
import sys

from tests.worker import ROOT

# A fresh process: the settings and the middleware are read as a deployment reads them.
SCRIPT = """
import django
from django.core.management import call_command
from django.test import Client

django.setup()
call_command("collectstatic", interactive=False, verbosity=0)
client = Client()
for path in ("/static/admin/css/base.css", "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"):
    answer = client.get(path)
    print(answer.status_code, answer["Content-Type"].split(";")[0], len(b"".join(answer.streaming_content)) > 1000)
"""


def test_static_files_are_collected_and_served_with_debug_off(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hookplatform.settings", "DJANGO_DEBUG": "0",
           "DJANGO_ALLOWED_HOSTS": "testserver", "HOOKPLATFORM_VAR_DIR": str(tmp_path / "var"),
           "HOOKPLATFORM_STATIC_ROOT": str(tmp_path / "static")}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[:2] == ["200 text/css True", "200 text/css True"]
    assert (tmp_path / "static" / "admin" / "css" / "base.css").exists()
