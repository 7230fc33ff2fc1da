"""A property test run only by test_reproducible_seeds.py (the name is outside pytest's pattern):
it writes down every input it is given, so two runs can be compared."""

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.seeds import examples


@settings(max_examples=examples(30), database=None)
# Large integers only: hypothesis also tries constants it finds in the project's source first, and
# those are the same whatever the seed (a strategy they all fall outside of shows the seed's effect).
@given(value=st.integers(min_value=2**40, max_value=2**62))
def test_write_down_each_input(value):
    with open(os.environ["SEED_PROBE_OUT"], "a") as out:
        out.write(repr(value) + "\n")
