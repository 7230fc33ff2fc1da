"""Public ids sort in the order they were made, within a millisecond too."""

from subscriptions.ids import event_id


def test_ids_made_in_one_millisecond_sort_in_the_order_they_were_made():
    """Found as a flaky fan-out test: "oldest first" took events of one millisecond in random order."""
    made = [event_id() for _ in range(5000)]
    assert sorted(made) == made and len(set(made)) == len(made)
