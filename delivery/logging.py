"""Structured log lines: ``key=value`` (the default) or one JSON object per line.

Every line about a delivery carries ``event_id``, ``delivery_id`` and
``endpoint_id`` (passed as ``extra``), so one grep or one log query follows a
webhook from publish to its last attempt.  Use the formatters in ``LOGGING``::

    "formatters": {"kv": {"()": "delivery.logging.KeyValueFormatter"}}
"""

import json
import logging
import re

logger = logging.getLogger("delivery")

# Attributes every LogRecord has; anything else on a record came in through ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def extra_fields(record):
    """The ``extra`` fields of a record, in the order they were given."""
    return {key: value for key, value in vars(record).items() if key not in _STANDARD}


def _base(formatter, record):
    fields = {"ts": formatter.formatTime(record, formatter.datefmt), "level": record.levelname,
              "logger": record.name, "msg": record.getMessage()}
    fields.update(extra_fields(record))
    if record.exc_info:
        fields["exc"] = formatter.formatException(record.exc_info)
    return fields


_NEEDS_QUOTES = re.compile(r'[ ="\n]')


def _kv_value(value):
    if value is None:
        return '""'
    if type(value) is int:  # most fields of an attempt's line: never quoted
        return str(value)
    text = str(value)
    if not text or _NEEDS_QUOTES.search(text):
        return json.dumps(text)
    return text


class KeyValueFormatter(logging.Formatter):
    """``ts=… level=INFO logger=delivery msg="attempt" event_id=msg_… delivery_id=7 …``"""

    def format(self, record):
        return " ".join([f"{key}={_kv_value(value)}" for key, value in _base(self, record).items()])


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers that parse JSON."""

    def format(self, record):
        return json.dumps(_base(self, record), default=str)


def delivery_context(delivery):
    return {"event_id": delivery.event_id, "delivery_id": delivery.pk, "endpoint_id": delivery.endpoint_id}


def log_outcomes(deliveries, outcomes):
    """One line per attempt just recorded (the URL's, then the fallback URL's), with the delivery's new state."""
    for delivery, sent in zip(deliveries, outcomes):
        if sent[0].follows:  # (this module is loaded with the logging configuration: no wire.exchanges)
            _log_attempt(delivery, *sent[0].follows)
        _log_attempt(delivery, *sent)


def _log_attempt(delivery, request, outcome):
    level = logging.INFO if outcome.succeeded else logging.WARNING
    logger.log(level, "attempt", extra={
        **delivery_context(delivery),
        "outcome": "succeeded" if outcome.succeeded else "failed",
        "status": delivery.status,
        "attempt": delivery.attempt_count,
        "response_status": outcome.status,
        "duration_ms": outcome.duration_ms,
        "error": outcome.error_class or None,
        "next_attempt_at": delivery.next_attempt_at.isoformat() if delivery.next_attempt_at else None,
        "target": request.target,  # last: the fields before it keep their order
    })
