"""The API's JSON parser: DRF's, with the two limits a client can hit answered as errors."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# The module, not the name: errors.py imports DRF's views, which import this parser class.
from .. import errors


class JSONParser(parsers.JSONParser):
    """Refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413) and nesting too deep to parse (400).

    Django enforces that size only on `request.body`, which DRF's streaming parse never touches,
    so without this a JSON body of any size is read whole. Python's decoder recurses per level
    and raises RecursionError on deep nesting, which DRF (catching ValueError) lets through as a 500.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None:
            # One byte past the limit tells an oversized body without reading all of it.
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise errors.RequestTooLarge()
            stream = io.BytesIO(body)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None
