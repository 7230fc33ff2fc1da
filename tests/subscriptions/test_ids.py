"""Public ids sort in the order they were made, within a millisecond too."""

import pytest

from subscriptions.ids import crockford, event_id, event_ids


def test_ids_made_in_one_millisecond_sort_in_the_order_they_were_made():
    """Found as a flaky fan-out test: "oldest first" took events of one millisecond in random order."""
    made = [event_id() for _ in range(5000)]
    assert sorted(made) == made and len(set(made)) == len(made)


@pytest.mark.parametrize("value, digits", [
    (0, "00000000000000000000000000"),
    (1, "00000000000000000000000001"),
    (2**127, "40000000000000000000000000"),
    (2**128 - 1, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"),
    (0x123456789ABCDEF0123456789ABCDEF0, "0J6HB7H6NWVVR14D2PF2DBSQQG"),
    (0x0192F5D1E2A3 << 80 | 0xFFEEDDCCBBAA99887766, "01JBTX3RN3ZZQDVK5VNACRGXV6"),
])
def test_digits_are_those_of_the_digit_by_digit_encoding(value, digits):
    """Pinned from the divmod loop ids were first made with: the same value gives the same id."""
    assert crockford(value) == digits


def test_ids_made_in_bulk_sort_with_the_others_in_the_order_they_were_made():
    made = [event_id(), *event_ids(3000), event_id(), *event_ids(1), *event_ids(2000)]
    assert sorted(made) == made and len(set(made)) == len(made)
    assert all(len(i) == len("msg_") + 26 and set(i[4:]) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for i in made)
