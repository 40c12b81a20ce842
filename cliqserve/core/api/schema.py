from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.permissions import AllowAny

from ..idempotency import HEADER
from .serializers import ErrorSerializer

# The Idempotency-Key header (cliqserve/core/idempotency.py) as the schema documents it.
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="1 to 255 printable ASCII characters, unique per intended write. The same key with "
    "the same body answers the first answer again (header `Idempotent-Replayed: true`) and writes "
    "nothing; a failed attempt is not stored, so the key may be retried. Kept at least 7 days.",
)
OPTIONAL_IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional. When sent (1 to 255 printable ASCII characters), the write happens exactly "
    "once: the same key with the same body answers the first answer again (header "
    "`Idempotent-Replayed: true`) and writes nothing. Kept at least 7 days.",
)
KEY_IN_USE = "`idempotency_key_in_use`: the first request with this key is still running; retry."
KEY_REUSED = OpenApiResponse(
    ErrorSerializer, description="`idempotency_key_reused`: this key was used with another body."
)


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
WRITE_METHODS = BODY_METHODS | {"DELETE"}


IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The `ETag` of an earlier answer: 304 with no body while it is still current.",
)

ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 304],
    description="Weak validator of this answer; send it back as If-None-Match to revalidate.",
)


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema plus the error responses every operation can really give.

    Clients and the API fuzzer are generated from the schema, so it must not pretend that an
    endpoint only ever answers 2xx. One place decides, from what every operation shares:

    - 400: a body to validate, or query parameters (filters, cursor, page size, unknown ones);
    - 401: any operation — a refused token, or refused credentials on the sign-in routes;
    - 403: an operation closed to anonymous callers (role policy, scope);
    - 404: a path with an id;
    - 409: a write (a state that forbids it: a duplicate, an illegal transition, a used row);
    - 413: a body over the upload limit (`request_too_large`);
    - 414 and 431: any operation — a request line or headers over gunicorn's limits, refused
      before Django in the same format (config/gunicorn_errors.py);
    - 429: any operation (throttling).

    405 is not listed: it is the answer for methods an operation does not have.
    """

    def _error_statuses(self) -> list[str]:
        statuses = {"401", "414", "429", "431"}
        if self.method in BODY_METHODS:
            statuses |= {"400", "413"}
        if any(parameter["in"] == "query" for parameter in self._get_parameters()):
            statuses.add("400")
        if self.method in WRITE_METHODS:
            statuses.add("409")
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            statuses.add("403")
        if "{" in self.path:
            statuses.add("404")
        return sorted(statuses)

    def _revalidated(self) -> bool:
        """A GET answered with an ETag and 304 on If-None-Match (core/api/conditional.py)."""
        return self.method == "GET" and bool(getattr(self.view, "revalidated", False))

    def get_override_parameters(self) -> list[Any]:
        parameters: list[Any] = list(super().get_override_parameters())
        if self._revalidated():
            parameters += [IF_NONE_MATCH, ETAG]
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if self._revalidated():
            not_modified = self._get_response_for_code(None, "304", direction=direction)
            not_modified["description"] = "Not modified: the ETag sent in If-None-Match is current; no body."
            responses["304"] = not_modified
        for status in self._error_statuses():
            if status not in responses:
                responses[status] = self._get_response_for_code(ErrorSerializer, status, direction=direction)
        return responses
