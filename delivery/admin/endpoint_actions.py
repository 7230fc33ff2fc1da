"""What an operator can do to endpoints: disable, enable, recover failed deliveries, send a test, rotate the secret.

Each action calls the domain verb (``disable_endpoint``, ``recover_endpoint``,
...) and reports what it did; a refusal is the domain's own message.
"""

from datetime import timedelta

from django.contrib import messages
from django.utils import timezone

from delivery import operations
from delivery.admin.actions import ConfirmedAction
from delivery.admin.endpoint_forms import DisableForm, RecoverForm, TestEventForm
from delivery.admin.forms import staff_actor
from subscriptions import conf, endpoints, secrets


def _disable(request, objects, data):
    done = [e for e in objects if not e.disabled]
    for endpoint in done:
        endpoints.disable_endpoint(endpoint, reason=data["reason"])
    return _counted("Disabled", done, len(objects) - len(done), "already disabled")


def _enable(request, objects, data):
    done = [e for e in objects if e.disabled]
    for endpoint in done:
        endpoints.enable_endpoint(endpoint)
    return _counted("Enabled", done, len(objects) - len(done), "already enabled")


def _counted(verb, done, skipped, why):
    message = f"{verb} {len(done)} endpoint{'' if len(done) == 1 else 's'}"
    if done:
        message += ": " + ", ".join(e.pk for e in done[:10])
    message += f". Skipped {skipped} {why}." if skipped else "."
    return message, messages.SUCCESS if done else messages.WARNING


def _rotate(request, objects, data):
    rotated, limited = [], []
    for endpoint in objects:
        try:
            secrets.rotate_secret(endpoint, actor=staff_actor(request))
            rotated.append(endpoint)
        except secrets.RotationRateLimited as exc:
            limited.append(f"{endpoint.pk} (retry in {exc.retry_after} s)")
    grace = timedelta(seconds=_grace_seconds())
    message = (f"Rotated the secret of {len(rotated)} endpoint{'' if len(rotated) == 1 else 's'}. "
               f"The previous secret keeps signing for {grace}; any older one stopped at once.")
    if limited:
        message += " Not rotated, too many rotations within the hour: " + ", ".join(limited[:10]) + "."
    return message, messages.SUCCESS if not limited else messages.WARNING if rotated else messages.ERROR


def _grace_seconds():
    return int(conf.get().secret_grace_period)


def _send_test(request, objects, data):
    sent = [operations.send_test_event(endpoint, data["event_type"]) for endpoint in objects]
    ids = ", ".join(event.pk for event in sent[:10])
    return f"Sent a test {data['event_type']} event to {len(sent)} endpoint(s): {ids}.", messages.SUCCESS


def _recover(request, objects, data):
    counts = {endpoint.pk: operations.recover_endpoint(endpoint, since=data["since"]) for endpoint in objects}
    total = sum(counts.values())
    detail = ", ".join(f"{pk}: {n}" for pk, n in list(counts.items())[:10])
    return (f"Resending {total} failed deliver{'y' if total == 1 else 'ies'} created since "
            f"{data['since']:%Y-%m-%d %H:%M} UTC ({detail}).", messages.SUCCESS if total else messages.WARNING)


ENDPOINT_ACTIONS = (
    ConfirmedAction(name="disable", label="Disable", perform=_disable, form_class=DisableForm,
                    applies=lambda endpoint: not endpoint.disabled,
                    explanation="Nothing is sent to a disabled endpoint. Its waiting deliveries are kept and "
                                "resume when it is enabled again."),
    ConfirmedAction(name="enable", label="Enable", perform=_enable, applies=lambda endpoint: endpoint.disabled,
                    explanation="Sending resumes, kept deliveries first; the failure streak starts afresh."),
    ConfirmedAction(name="recover", label="Recover failed deliveries", perform=_recover, form_class=RecoverForm,
                    initial=lambda objects: {"since": timezone.now() - timedelta(hours=24)},
                    explanation="Every failed delivery to these endpoints created since the time below is sent "
                                "again now, as a new attempt."),
    ConfirmedAction(name="send_test", label="Send test event", perform=_send_test, form_class=TestEventForm,
                    explanation="An example event of the chosen type is published to these endpoints only."),
    ConfirmedAction(name="rotate_secret", label="Rotate secret", perform=_rotate,
                    explanation="A new signing secret becomes current. The old one keeps signing alongside it "
                                "for the grace period, so receivers can switch without losing events."),
)
