"""Body templates: an endpoint's own body shape (Slack, Teams, a legacy system), rendered from the event.

A template is Jinja2 source rendered in Jinja2's ``SandboxedEnvironment``
with the event as its context: ``type``, ``timestamp``, ``id`` and ``data``
(``{"text": {{ ("Invoice " ~ data.invoice_id ~ " paid") | tojson }}}``).  Where
the content type is JSON the output must parse as JSON.

Safe by construction, whatever a tenant writes:

- no access to Python internals: the sandbox refuses ``__class__``,
  ``mro``, ``func_globals`` and the like (``SecurityError``);
- bounded time and memory: every render runs in a forked child process with
  an address-space limit, and the parent kills it after ``RENDER_SECONDS``
  (an endless loop, ``10 ** 10 ** 8``, ``"x" * 10 ** 10``); the other renders
  of the batch go on in a fresh child;
- bounded output: rendering streams and stops past ``MAX_OUTPUT`` bytes.

``render_many`` is called once per fan-out with every templated delivery in
it; a failed render fails that delivery only.
"""

import functools
import json
import os
import re
import resource
import select
import signal
import time

from django.core.exceptions import ValidationError

MAX_TEMPLATE = 8 * 1024
MAX_OUTPUT = 64 * 1024
RENDER_SECONDS = 0.5
MEMORY_HEADROOM = 256 * 1024 * 1024
JSON_TYPE = "application/json"
CONTENT_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]{1,64}/[A-Za-z0-9!#$&^_.+-]{1,64}( ?; ?[ -~]{1,120})?\Z")
# A render that ended like this is hostile, not merely unlucky with the sample data: refused when saved.
HOSTILE = ("security", "timeout", "too_big", "memory")
STOPPED = ("timeout", f"The template took longer than {RENDER_SECONDS:g} s (or ran out of memory) and was stopped.")
NOT_TRIED = ("timeout", f"The template took longer than {RENDER_SECONDS:g} s (or ran out of memory) for an earlier "
                        "event of this batch and was not tried again.")


class RenderError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


@functools.cache
def _environment():
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment

    class Sandbox(SandboxedEnvironment):
        """Jinja2's sandbox, where reaching for an unsafe attribute fails the render at once (Jinja2 would
        render it as empty and fail only on its use): the tenant learns why, and it is refused when saved."""

        def unsafe_undefined(self, obj, attribute):
            raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe.")

    return Sandbox(autoescape=False, keep_trailing_newline=False)


def is_json(content_type):
    media = (content_type or JSON_TYPE).split(";")[0].strip().lower()
    return media == JSON_TYPE or media.endswith("+json")


def validate_content_type(content_type):
    if content_type in ("", None):
        return
    if not isinstance(content_type, str) or not CONTENT_TYPE.match(content_type):
        raise ValidationError("content_type is a media type such as application/json or text/plain; "
                              "charset=utf-8 (at most 255 characters).", code="invalid")


def validate_template(source, content_type=""):
    """Refuse a template that does not parse, or whose render of a sample event is hostile.

    A sample render that fails otherwise (its data lacks what the template
    expects) is no reason to refuse: real events carry that data.
    """
    if source in ("", None):
        return
    if not isinstance(source, str) or len(source) > MAX_TEMPLATE or "\x00" in source:
        raise ValidationError(f"body_template is text of at most {MAX_TEMPLATE} characters, without NUL.",
                              code="invalid_template")
    from jinja2 import TemplateSyntaxError

    try:
        _environment().parse(source)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"Template syntax error on line {exc.lineno}: {exc.message}", code="invalid_template")
    except (RecursionError, MemoryError):
        raise ValidationError("The template is nested too deeply.", code="invalid_template") from None
    [(_, error)] = render_many([(source, sample_context(), content_type)])
    if error and error[0] in HOSTILE:
        raise ValidationError(error[1], code="invalid_template")


def sample_context(event_type="example.event", data=None, event_id="msg_example", timestamp=None):
    return {"type": event_type, "id": event_id, "data": {"example": True} if data is None else data,
            "timestamp": timestamp or "2026-01-01T00:00:00.000000Z"}


def render_many(jobs):
    """Render ``(source, context, content_type)`` jobs; one ``(text, None)`` or ``(None, (code, message))`` each.

    The jobs run one after the other in forked children: a job that
    outlives ``RENDER_SECONDS`` or kills its child fails alone, and the jobs
    after it go on in a new child (but for those of the same template, which
    fail too: a batch spends at most ``RENDER_SECONDS`` on each template).
    """
    results, stopped = {}, set()
    pending = list(range(len(jobs)))
    while pending:
        finished, stuck = _run_child([(i, jobs[i]) for i in pending])
        results.update(finished)
        if stuck is not None:
            results[stuck] = (None, STOPPED)
            stopped.add(jobs[stuck][0])
        # A template stopped once is not tried again in this batch: each try could cost the whole time again.
        results.update({i: (None, NOT_TRIED) for i in pending if i not in results and jobs[i][0] in stopped})
        pending = [i for i in pending if i not in results]
    return [results[i] for i in range(len(jobs))]


def _run_child(jobs):
    """Fork a renderer for ``jobs``; returns ``({index: result}, index of the job it stopped on or None)``."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, report each result as a line, never return
        try:
            os.close(read_fd)
            _limit_memory()
            for index, job in jobs:
                _write_all(write_fd, (json.dumps([index, *_render_one(*job)]) + "\n").encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    finished, buffer = {}, b""
    try:
        while len(finished) < len(jobs):
            ready, _, _ = select.select([read_fd], [], [], RENDER_SECONDS)
            chunk = os.read(read_fd, 1 << 16) if ready else b""
            if not chunk:  # too slow, or the child died (over its memory)
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                index, text, error = json.loads(line)
                finished[index] = (text, tuple(error) if error else None)
    finally:
        os.close(read_fd)
        _stop(pid)
    stuck = next((index for index, _ in jobs if index not in finished), None)
    return finished, stuck


def _stop(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def _limit_memory():
    """The child may grow by ``MEMORY_HEADROOM`` beyond what it inherited; past it, MemoryError."""
    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (size + MEMORY_HEADROOM, size + MEMORY_HEADROOM))


def _render_one(source, context, content_type):
    """``(text, None)`` or ``(None, [code, message])``; in the child process."""
    from jinja2 import TemplateError
    from jinja2.exceptions import SecurityError

    try:
        text = _bounded(_environment().from_string(source).generate(**context))
    except SecurityError as exc:
        return None, ["security", f"The template reached for something it may not use: {exc}"]
    except RenderError as exc:
        return None, [exc.code, str(exc)]
    except MemoryError:
        return None, ["memory", "The template used more memory than allowed and was stopped."]
    except RecursionError:
        return None, ["error", "The template recursed too deeply."]
    except TemplateError as exc:
        return None, ["error", f"The template failed: {type(exc).__name__}: {exc}"]
    except Exception as exc:  # a filter or test raising on the event's data
        return None, ["error", f"The template failed: {type(exc).__name__}: {exc}"]
    if is_json(content_type):
        try:
            json.loads(text)
        except ValueError as exc:
            return None, ["not_json", f"The template's output is not JSON ({exc}); use | tojson for values."]
    return text, None


def _bounded(chunks):
    parts, size = [], 0
    started = time.monotonic()
    for chunk in chunks:
        size += len(chunk.encode())
        if size > MAX_OUTPUT:
            raise RenderError("too_big", f"The template's output is over {MAX_OUTPUT} bytes.")
        if time.monotonic() - started > RENDER_SECONDS:
            raise RenderError("timeout", f"The template took longer than {RENDER_SECONDS:g} s.")
        parts.append(chunk)
    return "".join(parts)
