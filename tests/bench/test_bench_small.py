"""CI runs the benchmark suite's small version so that it cannot rot (no timing assertions).

It runs ``bench/run_all.py --small`` as its own process on its own database
(SQLite under the test var dir, or ``<test database>_bench_small`` on
PostgreSQL) and its own embedded broker, so it never touches the test
session's database or queue.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.bench, pytest.mark.e2e]


def bench_env(tmp_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(HOOKPLATFORM_VAR_DIR=str(tmp_dir), HOOKPLATFORM_BENCH_DIR=str(tmp_dir / "bench"))
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        env["DATABASE_URL"] = f"{url.rsplit('/', 1)[0]}/{url.rsplit('/', 1)[1]}_bench_small"
    else:
        env.pop("DATABASE_URL", None)
    return env


def test_small_suite_runs_every_section_to_completion():
    tmp_dir = Path(settings.VAR_DIR) / "bench-small"
    result = subprocess.run([sys.executable, "bench/run_all.py", "--small"], cwd=ROOT, env=bench_env(tmp_dir),
                            capture_output=True, text=True, timeout=170)
    out = result.stdout
    assert result.returncode == 0, (out + result.stderr)[-4000:]
    table = out[out.index("| section |"):]
    for section in ("throughput", "latency", "fan-out", "backlog", "memory"):
        assert f"| {section} |" in table, table
    assert "TIMED OUT" not in table, table
    assert "/s); 200/200 |" in table  # 50 events x 4 endpoints, end to end and delivery side
    assert table.count("200/200") >= 3  # and the raw ceiling
    assert "20/20 received" in table  # latency: 10 events/s for 2 s
    assert "100/100 received" in table  # fan-out to 100 endpoints
    assert "400 deliveries" in table  # memory run complete
