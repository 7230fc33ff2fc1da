"""Record ``delivery_succeeded``, ``delivery_exhausted`` and ``endpoint_disabled`` as JSON lines."""

import json
import os
from pathlib import Path

from django.conf import settings

from delivery import signals


def log_path():
    return Path(settings.VAR_DIR) / "probe-signals.jsonl"


def _append(entry):
    entry["pid"] = os.getpid()
    line = json.dumps(entry) + "\n"
    # One write of one short line with O_APPEND: lines from processes never interleave.
    fd = os.open(log_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _on_delivery(signal_name):
    def receiver(sender, delivery, **kwargs):
        _append({"signal": signal_name, "delivery": delivery.pk, "event": delivery.event_id,
                 "endpoint": delivery.endpoint_id, "status": delivery.status})
    return receiver


def _on_disabled(sender, endpoint, reason, **kwargs):
    _append({"signal": "endpoint_disabled", "endpoint": endpoint.pk, "reason": reason})


_receivers = {
    signals.delivery_succeeded: _on_delivery("delivery_succeeded"),
    signals.delivery_exhausted: _on_delivery("delivery_exhausted"),
    signals.endpoint_disabled: _on_disabled,
}


def raise_always(sender, **kwargs):
    """A host receiver with a bug (connected first when ``PROBE_SIGNALS_RAISE`` is set)."""
    raise RuntimeError("a host receiver that raises")


def connect():
    if os.environ.get("PROBE_SIGNALS_RAISE"):
        for signal in _receivers:
            signal.connect(raise_always, dispatch_uid=f"tests.probe.raise.{id(signal)}")
    for signal, receiver in _receivers.items():
        signal.connect(receiver, dispatch_uid=f"tests.probe.{id(signal)}")


def recorded(signal_name, **match):
    """Every line for ``signal_name`` whose fields equal ``match``."""
    try:
        lines = log_path().read_text().splitlines()
    except FileNotFoundError:
        return []
    entries = [json.loads(line) for line in lines if line.strip()]
    return [e for e in entries if e["signal"] == signal_name
            and all(e.get(k) == v for k, v in match.items())]
