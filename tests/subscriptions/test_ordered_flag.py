"""``ordered`` through the Python functions: validated as the API validates it."""

import pytest
from django.core.exceptions import ValidationError

from subscriptions import create_endpoint, update_endpoint

pytestmark = pytest.mark.django_db


def test_create_and_update_take_ordered():
    endpoint = create_endpoint("org_1", url="https://127.0.0.1:9/h", ordered=True)
    assert endpoint.ordered is True
    assert update_endpoint(endpoint, ordered=False).ordered is False


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_an_ordered_that_is_not_a_boolean_is_refused_naming_it(value):
    with pytest.raises(ValidationError) as refused:
        create_endpoint("org_1", url="https://127.0.0.1:9/h", ordered=value)
    assert "ordered" in refused.value.message_dict
