"""The rules of an endpoint's own policy, as the Python API applies them (the REST API and admin call the same)."""

import pytest
from django.core.exceptions import ValidationError

from subscriptions import conf, create_endpoint, update_endpoint

pytestmark = pytest.mark.django_db
URL = "https://127.0.0.1:8443/h"


@pytest.mark.parametrize("fields, field", [
    ({"signature_scheme": "Svix"}, "signature_scheme"),
    ({"retry_schedule": "5,10"}, "retry_schedule"),
    ({"retry_schedule": {"first": 5}}, "retry_schedule"),
    ({"retry_schedule": [True]}, "retry_schedule"),
    ({"retry_schedule": [float("nan")]}, "retry_schedule"),
    ({"retry_schedule": [float("inf")]}, "retry_schedule"),
    ({"retry_on_4xx": 0}, "retry_on_4xx"),
    ({"timeout": float("nan")}, "timeout"),
    ({"timeout": True}, "timeout"),
    ({"fallback_url": None}, "fallback_url"),
    ({"fallback_url": "https://127.0.0.1:8443/\x00"}, "fallback_url"),
    ({"fallback_url": "javascript:alert(1)"}, "fallback_url"),
])
def test_bad_values_raise_a_validation_error_keyed_by_field(fields, field):
    with pytest.raises(ValidationError) as refused:
        create_endpoint("org_1", url=URL, **fields)
    assert set(refused.value.message_dict) == {field}


def test_good_values_are_stored_as_given_and_can_be_cleared():
    endpoint = create_endpoint("org_1", url=URL, signature_scheme="svix", retry_schedule=(1, 2.5, 86400),
                               retry_on_4xx=False, timeout=60, fallback_url="https://127.0.0.1:8444/f")
    endpoint.refresh_from_db()
    assert (endpoint.retry_schedule, endpoint.timeout, endpoint.fallback_url) == ([1, 2.5, 86400], 60,
                                                                                 "https://127.0.0.1:8444/f")
    update_endpoint(endpoint, retry_schedule=None, timeout=None, fallback_url="")
    endpoint.refresh_from_db()
    assert (endpoint.retry_schedule, endpoint.timeout, endpoint.fallback_url) == (None, None, "")


def test_the_settings_refuse_a_minimum_timeout_above_the_maximum(settings):
    settings.WEBHOOKS_ENDPOINT_TIMEOUT_MIN, settings.WEBHOOKS_ENDPOINT_TIMEOUT_MAX = 30, 10
    [problem] = conf.problems()
    assert problem.knob.name == "WEBHOOKS_ENDPOINT_TIMEOUT_MAX" and "shorter than" in str(problem)
