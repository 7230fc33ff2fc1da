"""Shared pieces of the benchmarks: a receiver process, a worker process, a prepared database."""

import atexit
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The benchmarks' scratch folder: worker logs, beat schedule, the peer's virtualenv.
BENCH_VAR = Path(os.environ.get("HOOKPLATFORM_BENCH_DIR") or ROOT / "var" / "bench")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ReceiverProcess:
    def __init__(self, slow_prefix=None, slow_seconds=0):
        self.port = free_port()
        args = [sys.executable, str(ROOT / "bench" / "fast_receiver.py"), str(self.port)]
        if slow_prefix:
            args += [slow_prefix, str(slow_seconds)]
        self.process = subprocess.Popen(args)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                self.get("/stats")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("receiver did not start")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path):
        with urllib.request.urlopen(self.url(path), timeout=10) as response:
            return response.read().decode()

    def count(self):
        return json.loads(self.get("/stats"))["count"]

    def records(self):
        text = self.get("/dump")
        return [json.loads(line) for line in text.splitlines() if line]

    def wait_for(self, count, timeout, path_prefix=None):
        """Wait until ``count`` requests arrived (to paths starting with ``path_prefix``, if given)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if path_prefix is None:
                got = self.count()
            else:
                got = sum(1 for r in self.records() if r[1].startswith(path_prefix))
            if got >= count:
                return True
            time.sleep(0.02 if path_prefix is None else 0.2)
        return False

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


class Run:
    """One benchmark run's receiver and worker, both stopped at the end: ``with harness.Run() as run:``."""

    def __init__(self, **receiver_options):
        self.receiver = ReceiverProcess(**receiver_options)
        self.worker = None

    def start_worker(self, concurrency=2):
        """Our worker as a one-machine deployment runs it (prefork, beat inside); returns its ready time."""
        self.worker = WorkerProcess(bench_env(), concurrency=concurrency, beat=True)
        return self.worker.wait_ready()

    def stop_worker(self):
        if self.worker:
            self.worker.stop()
            self.worker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop_worker()
        self.receiver.stop()


def bench_env(extra=None):
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "hookplatform.settings")
    env["HOOKPLATFORM_VAR_DIR"] = str(BENCH_VAR)
    env["WEBHOOKS_ALLOW_PRIVATE_NETWORKS"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    # Production settings (DEBUG off) refuse the development keys: the benchmark's own, local-only ones.
    env.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "b" * 40)
    env.setdefault("WEBHOOKS_ENCRYPTION_KEYS", "YmVuY2gtb25seS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU=")
    env.update(extra or {})
    return env


class WorkerProcess:
    """A Celery worker node in a process group of its own (stopped and killed as a group).

    By default also in a session of its own.  With ``own_session=False`` it
    stays in the caller's session: Linux's autogroup scheduling shares the CPU
    fairly between sessions, so each node in a session of its own would take
    a whole share from the publisher and PostgreSQL, and three nodes three
    shares where one node of three processes takes one (``scale_out``).
    """

    def __init__(self, env, concurrency=2, pool="prefork", beat=False, argv=None, name="worker", cwd=None,
                 own_session=True):
        args = argv or [sys.executable, "-m", "celery", "-A", "hookplatform", "worker", "-c", str(concurrency),
                        "-P", pool, "-l", "info", "--without-mingle", "--without-gossip",
                        "-n", f"bench-{time.time_ns()}@%h"]
        if beat:
            args += ["-B", "-s", str(BENCH_VAR / "beat-schedule")]
        BENCH_VAR.mkdir(parents=True, exist_ok=True)
        self.log_path = BENCH_VAR / f"{name}.log"
        self.log = open(self.log_path, "w")
        group = {"start_new_session": True} if own_session else {"process_group": 0}
        self.process = subprocess.Popen(args, cwd=cwd or ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        **group)

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if " ready." in self.log_path.read_text():
                return time.time()
            if self.process.poll() is not None:
                raise RuntimeError(self.log_path.read_text()[-3000:])
            time.sleep(0.02)
        raise RuntimeError("worker not ready")

    def pids(self):
        out = subprocess.run(["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def rss_mb(self):
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except FileNotFoundError:
                pass
        return total / 1024

    def stop(self):
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def ensure_database():
    """Create the PostgreSQL database DATABASE_URL names, if it is missing."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    """Configure Django in this process with the benchmark's environment, and migrate."""
    ensure_database()
    os.environ.update(bench_env())
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings
    from django.core.management import call_command

    if settings.USES_EMBEDDED_BROKER:  # this run owns it, so that none outlives the run
        from hookplatform.embedded_broker import OwnedBroker

        atexit.register(OwnedBroker(settings.EMBEDDED_BROKER_DIR).stop)
    import hookplatform.celery  # noqa: F401  (the Celery app publish() hands work to)

    django.setup()
    call_command("migrate", verbosity=0)


def purge_broker():
    from delivery.handoff import fan_out_request
    from hookplatform.celery import app

    app.control.purge()
    fan_out_request.take()  # its task is gone with the queue


def steady_publish(rate, seconds, event_type="bench.tick", tenant="bench", padding=200):
    """Publish ``rate`` events per second for ``seconds``; returns {event id: publish time}."""
    from delivery import publish

    published = {}
    start = time.time()
    total = int(rate * seconds)
    for i in range(total):
        target = start + i / rate
        delay = target - time.time()
        if delay > 0:
            time.sleep(delay)
        event = publish(event_type, {"n": i, "padding": "x" * padding}, tenant=tenant)
        published[event.id] = time.time()
    return published


def latencies_ms(records, published, path_filter=lambda path: True):
    """Publish-to-receipt latencies in ms of the receiver's records for published events."""
    return sorted((at - published[msg_id]) * 1000 for at, path, msg_id in records
                  if msg_id in published and path_filter(path))


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def reset_data(tenant="bench"):
    """Drop every event, delivery and attempt, and the benchmark tenants' endpoints (no worker may run)."""
    from django.db import connection

    from delivery.models import Attempt, Delivery, Event
    from subscriptions import ensure_event_type
    from subscriptions.models import Tenant

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = ", ".join(m._meta.db_table for m in (Attempt, Delivery, Event))
            cursor.execute(f"TRUNCATE {tables}")
    else:
        for model in (Attempt, Delivery, Event):
            model.objects.all().delete()
    Tenant.objects.filter(uid__startswith=tenant).delete()
    ensure_event_type("bench.tick")


def make_endpoints(receiver, count, tenant="bench", prefix="/ep"):
    """``count`` endpoints of ``tenant`` to the receiver, each with a secret (bulk, for 10,000 of them)."""
    from subscriptions import encryption
    from subscriptions.endpoints import create_endpoint
    from subscriptions.models import Endpoint, EndpointSecret
    from subscriptions.secrets import generate_secret
    from subscriptions.tenants import resolve_tenant

    if count <= 20:
        return [create_endpoint(tenant, url=receiver.url(f"{prefix}{i}"), event_types=["bench.*"])
                for i in range(count)]
    owner = resolve_tenant(tenant)
    endpoints = Endpoint.objects.bulk_create(
        [Endpoint(tenant=owner, url=receiver.url(f"{prefix}{i}"), event_types=["bench.*"]) for i in range(count)],
        batch_size=1000)
    EndpointSecret.objects.bulk_create(
        [EndpointSecret(endpoint=e, key=encryption.encrypt(generate_secret())) for e in endpoints], batch_size=1000)
    return endpoints


def events_endpoints_main(measure, description, flags=()):
    """The command line of a bench of ``measure(events, endpoints)``: ``--events``, ``--endpoints``, ``--json``
    (``--root CHECKOUT`` is read earlier, by ``bench/root.py``); each of ``flags``, such as ``"own-sessions"``,
    is an option that, given, passes ``own_sessions=True`` to ``measure``."""
    import argparse

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--endpoints", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--root")
    for flag in flags:
        parser.add_argument(f"--{flag}", action="store_true")
    args = parser.parse_args()
    setup_django()
    result = measure(args.events, args.endpoints, **{flag.replace("-", "_"): True for flag in flags
                                                     if getattr(args, flag.replace("-", "_"))})
    print(json.dumps(result) if args.json else result)


def timed_in_transactions(rounds, make_input, call, after=None):
    """``call(make_input())`` in a transaction of its own, ``rounds`` times (``after()`` following each):
    ``(best wall seconds, median CPU seconds)`` of the calls, input making left out."""
    from django.db import transaction

    walls, cpu = [], []
    for _ in range(rounds):
        given = make_input()
        start, start_cpu = time.perf_counter(), time.process_time()
        with transaction.atomic():
            call(given)
        walls.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        if after:
            after()
    return min(walls), sorted(cpu)[len(cpu) // 2]
