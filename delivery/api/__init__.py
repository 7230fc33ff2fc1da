"""The REST API of events, deliveries, attempts and endpoint operations (contract section 3)."""
