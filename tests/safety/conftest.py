"""Shared by the safety tests: a tally of the inputs the property tests tried, printed at the end."""

from collections import Counter

import pytest

TRIED = Counter()


@pytest.fixture
def tried(request):
    """``tried()`` inside a property test counts one input against the test's name."""
    name = request.node.name

    def count():
        TRIED[name] += 1

    return count


def pytest_terminal_summary(terminalreporter):
    if not TRIED:
        return
    terminalreporter.section("inputs tried by the property tests")
    for name, count in sorted(TRIED.items()):
        terminalreporter.write_line(f"{count:6d}  {name}")
    terminalreporter.write_line(f"{sum(TRIED.values()):6d}  in all")
