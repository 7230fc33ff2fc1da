"""JSON request bodies, bounded in size and encodable as UTF-8 (so the database can store them)."""

import io
import json

from django.conf import settings
from rest_framework import exceptions, parsers

from subscriptions.validation import MAX_JSON_DEPTH as MAX_DEPTH
from subscriptions.validation import json_depth

DEFAULT_LIMIT = 2 * 1024 * 1024


class BoundedJSONParser(parsers.JSONParser):
    """Refuses with a 400 bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, nested over 64 levels,
    or with lone surrogates (which no database column can store)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or DEFAULT_LIMIT
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise exceptions.ParseError(f"The request body is over {limit} bytes.")
        if not raw.strip():
            raise exceptions.ParseError("The request body is empty; send a JSON object.")
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(f"JSON parse error - nested over {MAX_DEPTH} levels.")
        if json_depth(data) > MAX_DEPTH:
            raise exceptions.ParseError(f"JSON parse error - nested over {MAX_DEPTH} levels.")
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise exceptions.ParseError("JSON parse error - the body has unpaired surrogate escapes.")
        return data
