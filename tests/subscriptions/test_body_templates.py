"""Body templates (``subscriptions.body_templates``): rendered in a sandboxed, forked, bounded renderer;
hostile templates are refused when saved or cut when rendered, and never harm the other renders."""

import pytest
from django.core.exceptions import ValidationError

from subscriptions.body_templates import (
    MAX_OUTPUT,
    render_many,
    sample_context,
    validate_content_type,
    validate_template,
)

SLACK = '{"text": {{ ("Invoice " ~ data.invoice_id ~ " paid: " ~ data.amount) | tojson }}, "id": {{ id | tojson }}}'
HOSTILE = {
    "internals": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", {"security"}),
    "globals": ("{{ self.__init__.__globals__ }}", {"security"}),
    "cycler globals": ("{{ cycler.__init__.__globals__.os.system('id') }}", {"security"}),
    "endless loop": ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
                     {"timeout"}),
    "huge output": ("{% for a in range(100000) %}{{ 'yyyyyyyyyy' }}{% endfor %}", {"too_big"}),
    # Out of memory or out of time, whichever the machine reaches first: stopped either way.
    "huge string": ("{{ 'x' * 10000000000 }}", {"memory", "timeout"}),
    "doubling": ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
                 "{{ ns.s | length }}", {"memory", "timeout"}),
}


def context(**data):
    return sample_context("invoice.paid", data, event_id="msg_1")


def test_a_template_renders_the_event_as_json():
    [(text, error)] = render_many([(SLACK, context(invoice_id='in_"1', amount=4200), "")])
    assert error is None and text == '{"text": "Invoice in_\\"1 paid: 4200", "id": "msg_1"}'


def test_hostile_templates_are_cut_alone_and_the_others_render():
    jobs = [(SLACK, context(invoice_id="a", amount=1), "")]
    for source, _ in HOSTILE.values():
        jobs += [(source, context(), "text/plain"), (SLACK, context(invoice_id="b", amount=2), "")]
    results = render_many(jobs)
    assert results[0] == ('{"text": "Invoice a paid: 1", "id": "msg_1"}', None)
    for position, (name, (_, code)) in enumerate(HOSTILE.items()):
        text, error = results[1 + 2 * position]
        assert text is None and error[0] in code, (name, error)
        assert results[2 + 2 * position] == ('{"text": "Invoice b paid: 2", "id": "msg_1"}', None), name


def test_a_template_stopped_once_is_not_tried_again_in_the_batch():
    loop = HOSTILE["endless loop"][0]
    results = render_many([(loop, context(), "text/plain"), (SLACK, context(invoice_id="a", amount=1), ""),
                           (loop, context(n=2), "text/plain")])
    assert results[0][1][0] == "timeout" and "was stopped" in results[0][1][1]
    assert results[1][1] is None
    assert results[2][1][0] == "timeout" and "not tried again" in results[2][1][1]


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_template_is_refused_when_saved(name):
    with pytest.raises(ValidationError) as refused:
        validate_template(HOSTILE[name][0])
    assert refused.value.code == "invalid_template" and refused.value.messages[0]


def test_what_else_is_refused_when_saved():
    with pytest.raises(ValidationError, match="syntax error on line 1"):
        validate_template("{% for x in %}")
    with pytest.raises(ValidationError, match="at most 8192 characters"):
        validate_template("x" * 9000)
    with pytest.raises(ValidationError, match="nested too deeply|syntax error"):
        validate_template("{{ " + "(" * 4000 + "1" + ")" * 4000 + " }}")
    validate_template("{{ data.amount + 1 }}")  # fails on the sample's data only: real events carry it
    validate_template("")


def test_output_checks():
    [(_, not_json)] = render_many([("Invoice {{ data.id }}", context(id=1), "")])
    assert not_json[0] == "not_json" and "tojson" in not_json[1]
    [(text, error)] = render_many([("Invoice {{ data.id }}", context(id=1), "text/plain; charset=utf-8")])
    assert (text, error) == ("Invoice 1", None)
    [(_, error)] = render_many([("{{ data.x.y }}", context(), "text/plain")])
    assert error[0] == "error" and "UndefinedError" in error[1]
    [(text, error)] = render_many([(f"{{{{ 'y' * {MAX_OUTPUT} }}}}", context(), "text/plain")])
    assert error is None and len(text) == MAX_OUTPUT


@pytest.mark.parametrize("value,ok", [
    ("", True), ("application/json", True), ("text/plain; charset=utf-8", True), ("application/vnd.api+json", True),
    ("json", False), ("text/plain\r\nX: 1", False), (5, False), ("a/" + "b" * 300, False)])
def test_content_types(value, ok):
    if ok:
        validate_content_type(value)
    else:
        with pytest.raises(ValidationError):
            validate_content_type(value)
