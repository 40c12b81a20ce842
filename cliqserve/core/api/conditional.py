"""ETag / If-None-Match revalidation for GET answers (ADR 0015).

ETags are weak (`W/"…"`): they promise the same JSON, not the same bytes (gzip changes the
bytes, and a weak comparison is what If-None-Match uses anyway). A 304 carries the ETag, the
caching headers and no body.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.http import parse_etags
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

# Answers depend on who asks (tenant, role, branch) and in which language: a shared cache must
# not serve one caller's answer to another, and a browser must revalidate each time.
REVALIDATION_HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Accept-Language"}


def _opaque(etag: str) -> str:
    return etag.removeprefix("W/")


def etag_matches(request: Request, etag: str) -> bool:
    """The weak comparison of RFC 9110 §13.1.2 against the request's If-None-Match."""
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    if not header:
        return False
    candidates = parse_etags(header)
    return "*" in candidates or _opaque(etag) in {_opaque(candidate) for candidate in candidates}


def signed_variant(*parts: object) -> str:
    """A digest of what an answer depends on besides the version, keyed with SECRET_KEY so a
    client cannot forge the ETag of a path it was never answered."""
    message = "\x1f".join(str(part) for part in parts).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:24]


def revalidated(request: Request, *, etag: str, data: Callable[[], Any]) -> Response:
    """304 when the client holds `etag`, else 200 with `data()`; both carry the ETag."""
    headers = {"ETag": etag, **REVALIDATION_HEADERS}
    if etag_matches(request, etag):
        return Response(status=304, headers=headers)
    return Response(data(), headers=headers)


def revalidated_by_body(request: Request, data: Any) -> Response:
    """For answers without a cheap version (reports): the ETag is a digest of the JSON."""
    digest = hashlib.sha256(JSONRenderer().render(data)).hexdigest()[:32]
    return revalidated(request, etag=f'W/"{digest}"', data=lambda: data)
