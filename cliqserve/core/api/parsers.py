"""The API's JSON parser: DRF's, with the two limits a client can hit answered as errors."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# The module, not the name: errors.py imports DRF's views, which import this parser class.
from .. import errors

# A `\uD800`-`\uDFFF` escape: the only way a lone surrogate gets into a parsed string.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class JSONParser(parsers.JSONParser):
    """Refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413) and nesting too deep to parse (400).

    Django enforces that size only on `request.body`, which DRF's streaming parse never touches,
    so without this a JSON body of any size is read whole. Python's decoder recurses per level
    and raises RecursionError on deep nesting, which DRF (catching ValueError) lets through as a 500.
    A lone surrogate (`"\\ud800"` not followed by its pair) parses, but no database column, log
    line or JSON answer can encode it; it is refused as malformed (400) before anything sees it.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        body = _read_within_limit(stream)
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None
        if _SURROGATE_ESCAPE.search(body):
            _refuse_lone_surrogates(data)
        return data


def _read_within_limit(stream: Any) -> bytes:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return bytes(stream.read())
    # One byte past the limit tells an oversized body without reading all of it.
    body = bytes(stream.read(limit + 1))
    if len(body) > limit:
        raise errors.RequestTooLarge()
    return body


def _refuse_lone_surrogates(data: Any) -> None:
    """Refuse `data` if a string in it (a key or a value) holds a lone surrogate. Only bodies with
    a surrogate escape come here: the ordinary request pays one regular-expression scan."""
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise ParseError(_("JSON parse error - a string holds an unpaired surrogate escape.")) from None
