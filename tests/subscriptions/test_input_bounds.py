"""L17, L12: Python and CLI callers get a ValidationError (or CommandError) for what a column cannot store,
never a DataError from PostgreSQL or a RecursionError."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from delivery import publish
from subscriptions import create_endpoint, ensure_event_type
from subscriptions.event_types import create_event_type, update_event_type
from subscriptions.models import ApiKey, Tenant
from subscriptions.tenants import create_tenant, update_tenant


def nested(depth):
    value = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("fields", [
    {"name": "n" * 256}, {"name": "bad\x00name"}, {"contact_email": "x" * 250 + "@e.com"},
    {"contact_email": "not-an-email"}, {"contact_email": "a\x00@example.com"}, {"metadata": nested(5000)},
])
def test_create_and_update_tenant_refuse_what_the_columns_cannot_store(db, fields):
    """L17: create_tenant(name>255) raised DataError on PostgreSQL."""
    with pytest.raises(ValidationError) as refused:
        create_tenant("acme", **fields)
    assert set(refused.value.message_dict) == set(fields)
    tenant = create_tenant("acme2")
    with pytest.raises(ValidationError):
        update_tenant(tenant, **fields)
    assert not Tenant.objects.filter(uid="acme").exists()


def test_endpoint_and_event_type_descriptions_refuse_nul(db):
    """L17: create_endpoint(description="\\x00") raised DataError on PostgreSQL."""
    ensure_event_type("invoice.paid")
    with pytest.raises(ValidationError) as refused:
        create_endpoint("acme", url="https://127.0.0.1:9/hook", description="a\x00b")
    assert "description" in refused.value.message_dict
    with pytest.raises(ValidationError):
        create_event_type("call.ended", description="a\x00b")
    with pytest.raises(ValidationError):
        update_event_type(ensure_event_type("call.ended"), description="d" * 5000)


@pytest.mark.parametrize("arguments", [["--name", "n" * 256], ["--name", "a\x00b"], ["--tenant", "bad uid!"]])
def test_create_api_key_command_refuses_bad_input_with_a_command_error(db, arguments):
    """L17: `create_api_key --name` over 255 characters raised DataError on PostgreSQL."""
    with pytest.raises(CommandError):
        call_command("create_api_key", *arguments)
    assert not ApiKey.objects.exists()


def test_deep_data_in_publish_is_a_validation_error(db):
    """L12: publish() of data nested ~1,000 deep raised RecursionError (json.dumps), not ValidationError."""
    ensure_event_type("invoice.paid")
    with pytest.raises(ValidationError) as refused:
        publish("invoice.paid", nested(5000), tenant="acme")
    assert "nested" in str(refused.value)
    publish("invoice.paid", nested(40), tenant="acme")


def test_data_one_level_over_the_limit_is_refused_and_brackets_inside_strings_are_not_levels(db):
    """The depth is measured only when the rendered body holds more brackets than the limit allows."""
    ensure_event_type("invoice.paid")
    with pytest.raises(ValidationError, match="nested over 64 levels"):
        publish("invoice.paid", nested(64), tenant="acme")  # 65 levels: data, then 64 objects inside it
    with pytest.raises(ValidationError, match="nested over 64 levels"):
        publish("invoice.paid", {"text": "{" * 100, "deep": nested(64)}, tenant="acme")
    assert publish("invoice.paid", nested(63), tenant="acme").pk
    assert publish("invoice.paid", {"text": "{[" * 500, "list": [[["x"]]]}, tenant="acme").pk


def test_deep_schemas_and_metadata_are_validation_errors(db):
    """L12: the schema and metadata checks recursed too."""
    with pytest.raises(ValidationError):
        ensure_event_type("deep.schema", schema={"type": "object", "properties": nested(5000)})
    with pytest.raises(ValidationError):
        create_endpoint("acme", url="https://127.0.0.1:9/hook", metadata=nested(5000))


@pytest.mark.parametrize("url", ["https://example.com/a\x00b", "https://exa\x00mple.com/", "https://u:p\x00w@example.com/"])
def test_endpoint_urls_with_nul_are_refused(db, url):
    """L17, sibling path: a URL with NUL passed validation, then PostgreSQL refused the row (DataError)."""
    with pytest.raises(ValidationError) as refused:
        create_endpoint("acme", url=url)
    assert "url" in refused.value.message_dict


def test_an_idempotency_key_with_nul_is_refused(db):
    """L17, sibling path: publish(idempotency_key="k\\x00") raised DataError on PostgreSQL."""
    ensure_event_type("invoice.paid")
    with pytest.raises(ValidationError, match="idempotency_key"):
        publish("invoice.paid", {}, tenant="acme", idempotency_key="k\x00")


@pytest.mark.parametrize("arguments", [
    ["webhooks_recover", "ep_\x00", "--since", "2d"],
    ["webhooks_recover", "ep_" + "X" * 300, "--since", "2d"],
    ["webhooks_recover", "ep_01ARZ3NDEKTSV4RRFFQ69G5FAV", "--since", "1e400"],
    ["webhooks_purge", "--older-than", "1e400", "--dry-run"],
    ["webhooks_purge", "--older-than", "nan", "--dry-run"],
    ["webhooks_purge", "--older-than", "1e300", "--dry-run"],
])
def test_operations_commands_refuse_bad_input_with_a_command_error(db, arguments):
    """L17, the other commands: a NUL id was a DataError on PostgreSQL, an infinite age an OverflowError."""
    with pytest.raises(CommandError):
        call_command(*arguments)
