"""The seed and the budget of every property test (hypothesis in tests/safety, schemathesis in tests/api).

A run uses one seed for all of them, printed in pytest's header and summary: ``FIXED_SEED``
unless ``HYPOTHESIS_SEED`` (or ``--hypothesis-seed``) says otherwise, so a green run stays green.
``HYPOTHESIS_SEED=random`` draws a fresh seed each run and ``HYPOTHESIS_SCALE=k`` tries k times
as many inputs, to look for new failures (replay one with the printed seed):

    HYPOTHESIS_SEED=random HYPOTHESIS_SCALE=10 python3 dev.py test tests/safety tests/api/test_schemathesis.py

No hypothesis import here: tests/conftest.py reads the seed before hypothesis's plugin loads its
profile, and settings objects made earlier would miss it (e.g. ``--hypothesis-verbosity``).
"""

import os
import secrets
import zlib

FIXED_SEED = 1054303
SCALE = max(1, int(os.environ.get("HYPOTHESIS_SCALE") or 1))


def examples(count):
    """``count`` inputs, times ``HYPOTHESIS_SCALE``."""
    return count * SCALE


def chosen_seed():
    """The run's seed: ``HYPOTHESIS_SEED`` (a number or ``random``), else the fixed one."""
    wanted = os.environ.get("HYPOTHESIS_SEED", "").strip()
    if wanted == "random":
        return secrets.randbelow(2**32)
    return int(wanted) if wanted else FIXED_SEED


_run_seed = []


def run_seed(given=None):
    """The run's one seed, decided by the first call (``given``: a ``--hypothesis-seed`` value)."""
    if not _run_seed:
        if given is None:
            _run_seed.append(chosen_seed())
        else:
            _run_seed.append(int(given) if str(given).isdigit() else zlib.crc32(str(given).encode()))
    return _run_seed[0]
