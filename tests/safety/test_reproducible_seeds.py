"""The property tests run with one printed seed: the same seed tries the same inputs, `random` new ones."""

import os
import re
import subprocess
import sys

from tests.worker import ROOT

PROBE = "tests/safety/seed_probe.py"


def tried_inputs(seed, tmp_path):
    """The inputs a property test is given in a fresh pytest run, and the seed that run printed."""
    out = tmp_path / f"inputs-{len(list(tmp_path.iterdir()))}.txt"
    env = {**os.environ, "HYPOTHESIS_SEED": seed, "HYPOTHESIS_SCALE": "1", "SEED_PROBE_OUT": str(out)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", PROBE], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    inputs = out.read_text().splitlines()
    assert len(inputs) >= 20
    return inputs, re.search(r"property tests: seed (\d+)", done.stdout).group(1)


def test_one_printed_seed_replays_a_run_and_random_finds_new_inputs(tmp_path):
    """Found on a fresh machine: a green run could turn red on the next, with no seed to replay it."""
    first, printed = tried_inputs("", tmp_path)
    replayed, _ = tried_inputs(printed, tmp_path)
    assert replayed == first
    fresh, fresh_seed = tried_inputs("random", tmp_path)
    assert fresh_seed != printed and fresh != first


def test_schemathesis_uses_the_runs_seed(pytestconfig):
    """Schemathesis seeds each operation with a random seed of its own unless told: it gets the run's."""
    from tests.api.test_schemathesis import schema

    assert str(schema.config.seed) == pytestconfig.getoption("hypothesis_seed")
