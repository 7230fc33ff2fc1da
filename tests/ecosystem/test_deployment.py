"""docker-compose.yml, the Dockerfile and pyproject.toml agree with the README and requirements.txt."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest
import yaml
from packaging.requirements import Requirement

from tests.worker import ROOT

APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def readme():
    return (ROOT / "README.md").read_text()


def readme_settings(readme):
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", table, re.M))


def readme_processes(readme):
    section = readme.split("## Processes and scaling", 1)[1].split("\n## ", 1)[0]
    return [c for c in re.findall(r"`([^`]+)`", section) if "hookplatform" in c and "dev.py" not in c]


def test_every_compose_variable_is_a_readme_setting(compose, readme):
    documented = readme_settings(readme)
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert set(environment) <= documented, set(environment) - documented
        assert {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"} <= set(environment)


def test_compose_runs_the_readmes_processes(compose, readme):
    processes = readme_processes(readme)
    assert {"celery -A hookplatform worker", "celery -A hookplatform beat", "hookplatform.wsgi:application"} \
        <= set(processes)
    commands = {name: compose["services"][name]["command"] for name in APP_SERVICES}
    assert commands["worker"].startswith("celery -A hookplatform worker")
    assert commands["beat"].startswith("celery -A hookplatform beat")
    assert "gunicorn hookplatform.wsgi:application" in commands["web"]
    assert "manage.py migrate" in commands["web"]
    assert {"db", "redis"} <= set(compose["services"])


def test_the_image_and_the_metrics_directory_are_shared(compose):
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    for name in ("web", "worker"):
        service = compose["services"][name]
        metrics_dir = service["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        assert any(metrics_dir.startswith(volume.split(":")[1]) for volume in service["volumes"])


def test_compose_has_no_fallback_secrets(compose):
    """M10: compose fell back to DJANGO_SECRET_KEY=change-me; now it refuses to start without the secrets."""
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        for variable in ("DJANGO_SECRET_KEY", "WEBHOOKS_ENCRYPTION_KEYS"):
            assert environment[variable].startswith(f"${{{variable}:?"), environment[variable]


def test_docker_compose_config_validates():
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    secrets = {"DJANGO_SECRET_KEY": "x" * 50, "WEBHOOKS_ENCRYPTION_KEYS": "y" * 44}
    result = subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config", "--services"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, **secrets})
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"web", "worker", "beat", "db", "redis"}


def test_pyproject_dependencies_admit_the_pinned_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    runtime = (ROOT / "requirements.txt").read_text().split("# Tests and tools", 1)[0]
    for line in runtime.splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            pins[requirement.name.lower()] = next(iter(requirement.specifier)).version
    declared = [Requirement(d) for d in project["dependencies"]]
    declared += [Requirement(d) for extra in project["optional-dependencies"].values() for d in extra]
    for requirement in declared:
        name = requirement.name.lower()
        assert name in pins, f"{name} is declared in pyproject.toml but not pinned in requirements.txt"
        assert requirement.specifier.contains(pins[name]), (name, str(requirement.specifier), pins[name])
    assert set(pins) <= {r.name.lower() for r in declared}, set(pins) - {r.name.lower() for r in declared}


def test_the_package_holds_the_apps_and_their_files_and_building_it_leaves_nothing(tmp_path):
    """``pip install /path/to/checkout`` builds a wheel: the three packages with their templates, static files and
    migrations, nothing else; and hatchling builds out of tree, so no build/ or *.egg-info lands in the checkout."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert config["packages"] == ["subscriptions", "delivery", "hookplatform"]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    [wheel] = tmp_path.glob("hookplatform-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"subscriptions", "delivery", "hookplatform",
                                                       "hookplatform-1.0.0.dist-info"}
    for expected in ("delivery/templates/admin/hookplatform/dashboard.html", "delivery/static/delivery/admin.css",
                     "delivery/migrations/0001_initial.py", "subscriptions/migrations/0001_initial.py"):
        assert expected in names
    assert not any(name.endswith(".pyc") for name in names)
    assert not (ROOT / "build").exists() and not list(ROOT.glob("*.egg-info"))
