"""The budget of every property test here: enough inputs to find edge cases, bounded for CI.

The seed and ``HYPOTHESIS_SCALE`` are explained in tests/seeds.py.
"""

from hypothesis import HealthCheck, settings

from tests.seeds import examples

# ``tried`` (the input counter of conftest.py) is function-scoped on purpose: it counts every example.
PROPERTY = settings(max_examples=examples(200), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
