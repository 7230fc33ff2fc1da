"""The same workload on django-webhook (PyPI), in its own virtualenv, for a side-by-side figure.

A minimal Django project (``bench/peer_project``) saves one model row per
event; django-webhook's post_save signal queues one Celery task per
subscribed URL; its worker (prefork, concurrency 2) POSTs each and records a
``WebhookEvent`` row.  Same PostgreSQL server (its own database), same Redis
server (its own db number), same receiver.
"""

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

from bench import harness

PROJECT = harness.ROOT / "bench" / "peer_project"
PACKAGES = ["django-webhook==0.0.15", "celery[redis]==5.7.0", "psycopg[binary]==3.3.9", "Django==5.2.19"]


def venv_dir():
    return harness.BENCH_VAR / "peer" / "venv"


def ensure_venv():
    """The peer's virtualenv, created and installed from PyPI on first use."""
    python = venv_dir() / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv_dir())], check=True)
    check = subprocess.run([str(python), "-c", "import django_webhook, celery, psycopg"], capture_output=True)
    if check.returncode:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PACKAGES], check=True, timeout=600)
    return python


def peer_env(database_url, broker_url):
    parts = urlsplit(database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PEER_DB_NAME=parts.path.lstrip("/") + "_peer", PEER_DB_USER=parts.username or "postgres",
               PEER_DB_HOST=parts.hostname or "127.0.0.1", PEER_DB_PORT=str(parts.port or 5432),
               PEER_BROKER_URL=broker_url, DJANGO_SETTINGS_MODULE="peer_settings")
    return env


def _ensure_database(env):
    import psycopg

    admin = f"postgresql://{env['PEER_DB_USER']}@{env['PEER_DB_HOST']}:{env['PEER_DB_PORT']}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [env["PEER_DB_NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{env["PEER_DB_NAME"]}"')


def _run(python, env, *args, timeout=600):
    subprocess.run([str(python), "peer_run.py", *args], cwd=PROJECT, env=env, check=True, timeout=timeout,
                   capture_output=True)


def _worker(python, env, name):
    argv = [str(python), "-m", "celery", "-A", "peer_celery", "worker", "-c", "2", "-P", "prefork",
            "-l", "info", "--without-mingle", "--without-gossip", "-n", f"peer-{time.time_ns()}@%h"]
    return harness.WorkerProcess(env, argv=argv, name=name, cwd=PROJECT)


def _purge(python, env):
    subprocess.run([str(python), "-m", "celery", "-A", "peer_celery", "purge", "-f"], cwd=PROJECT, env=env,
                   capture_output=True, timeout=60)


def measure(events, endpoints, database_url, broker_url, limit_s=300):
    """{"end to end": (received, seconds, complete), "delivery side": (...), "rss_mb": worker RSS}."""
    python = ensure_venv()
    env = peer_env(database_url, broker_url)
    _ensure_database(env)
    _purge(python, env)
    results = {}
    for mode in ("end to end", "delivery side"):
        with harness.Run() as run:
            receiver = run.receiver
            _run(python, env, "setup", *[receiver.url(f"/peer{i}") for i in range(endpoints)])
            if mode == "end to end":
                run.worker = _worker(python, env, "peer-worker-e2e")
                run.worker.wait_ready()
                start = time.time()
                _run(python, env, "publish", str(events))
            else:
                _run(python, env, "publish", str(events))
                run.worker = _worker(python, env, "peer-worker-side")
                start = run.worker.wait_ready()
            ok = receiver.wait_for(events * endpoints, timeout=limit_s)
            end = max((r[0] for r in receiver.records()), default=time.time())
            results[mode] = (receiver.count(), end - start, ok)
            results["rss_mb"] = run.worker.rss_mb()
    _purge(python, env)
    return results
