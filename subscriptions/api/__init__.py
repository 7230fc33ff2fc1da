"""The REST API of the catalogue, tenants, endpoints and API keys (contract section 3).

The shared plumbing of every API view (Bearer keys, tenant scoping, errors,
pagination, throttling, schema) lives here too; ``delivery.api`` builds on it.
"""
