"""Responses whose head (status line and headers) costs at most a few kilobytes of memory.

http.client accepts 100 header lines of 64 kB each and copies them several
times on the way to ``requests`` (lines, a joined string, the parsed message,
two header dicts): 6 MB of headers became tens of MB per answer, times every
sending thread. Here the header lines beyond ``HEAD_BYTES`` are read and
dropped as they arrive, so the answer is still parsed (status, the first
headers, the body after them) and its response says how many lines it lost.
``delivery.http_client`` gives its connections this response class.
"""

import http.client

HEAD_BYTES = 32 * 1024
END_OF_HEAD = (b"\r\n", b"\n", b"")


class _HeadBudget:
    """The socket file as the head parser sees it: the status line, then header lines within budget."""

    def __init__(self, fp, budget):
        self._fp, self._left, self._status_read, self.dropped = fp, budget, False, 0

    def close(self):
        """http.client closes its file on a status line that is not HTTP's (an SSH banner, say)."""
        self._fp.close()

    def readline(self, limit=-1):
        line = self._fp.readline(limit)
        if not self._status_read or line in END_OF_HEAD or len(line) <= self._left:
            self._status_read = True
            self._left -= len(line)
            return line
        while line not in END_OF_HEAD:  # over budget: read the rest of the head and keep none of it
            if len(line) > http.client._MAXLINE:
                raise http.client.LineTooLong("header line")
            self.dropped += 1
            if self.dropped > http.client._MAXHEADERS:
                raise http.client.HTTPException(f"got more than {http.client._MAXHEADERS} headers")
            line = self._fp.readline(limit)
        return line


class BoundedHeadResponse(http.client.HTTPResponse):
    """``dropped_header_lines``: how many header lines were over ``HEAD_BYTES`` and not kept.

    Its headers are forgotten once the body is read or closed: a kept-alive
    connection holds on to its last response until its next request, and
    the receiver's headers must not outlive the attempt in the worker.
    """

    dropped_header_lines = 0

    def _close_conn(self):
        super()._close_conn()
        self.headers = self.msg = http.client.HTTPMessage()

    def begin(self):
        if self.headers is not None:
            return
        original = self.fp
        self.fp = budget = _HeadBudget(original, HEAD_BYTES)
        try:
            super().begin()
        finally:
            if self.fp is budget:
                self.fp = original
            self.dropped_header_lines = budget.dropped


def dropped_header_lines(response):
    """How many header lines of a ``requests`` response were dropped (0 for any other response)."""
    original = getattr(response.raw, "_original_response", None)
    return getattr(original, "dropped_header_lines", 0)
