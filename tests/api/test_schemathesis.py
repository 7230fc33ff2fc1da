"""Property-based fuzzing of the whole API from its own OpenAPI document, bounded (15 examples an operation,
times HYPOTHESIS_SCALE; the seed is the run's, see tests/seeds.py).

Every generated request, valid or not, must get an answer the schema
declares (status, content type, body shape) and never a 5xx.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from subscriptions.api_keys import create_api_key
from tests.api.conftest import make_traffic
from tests.seeds import examples, run_seed

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Generating the document needs no database, so it is loaded once, at collection.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# Schemathesis seeds each operation itself (over hypothesis's --hypothesis-seed): give it the run's seed.
schema.config.seed = run_seed()


@pytest.fixture
def wsgi_calls(db, settings):
    """Calls through the WSGI app within the test's transaction, unthrottled."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"hookplatform": None}}
    # As Django's test client does: requests must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(acme):
    """Ids of objects that exist, so that a share of the cases reach past the 404."""
    endpoint, deliveries = make_traffic(acme)
    return {"endpoints": endpoint.pk, "deliveries": str(deliveries[0].pk), "events": deliveries[0].event_id}


def aim_at_real_objects(case, real_ids):
    """Nested routes: the real tenant; every other case, a real object id instead of a random one."""
    params = case.path_parameters or {}
    if "tenant_uid" in params:
        params["tenant_uid"] = "acme"
        collection = case.path.split("/")[5] if case.path.count("/") > 5 else None
        if "id" in params and collection in real_ids and len(str(params["id"])) % 2 == 0:
            params["id"] = real_ids[collection]


@schema.parametrize()
@settings(max_examples=examples(15), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_within_its_schema(case, wsgi_calls, real_ids):
    aim_at_real_objects(case, real_ids)
    key = create_api_key(name="fuzz")[1]   # fresh each case: a fuzzed DELETE may revoke any key
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)
