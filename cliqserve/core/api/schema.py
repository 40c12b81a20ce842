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


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema plus the error responses every operation can really give.

    Clients and the API fuzzer are generated from the schema, so it must not pretend that an
    endpoint only ever answers 2xx.
    """

    def _error_statuses(self) -> list[str]:
        statuses = ["429"]
        if self.method in ("POST", "PUT", "PATCH") or self._get_filter_parameters():
            statuses.append("400")
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            statuses += ["401", "403"]
        if "{" in self.path:
            statuses.append("404")
        return sorted(statuses)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            if status not in responses:
                responses[status] = self._get_response_for_code(ErrorSerializer, status, direction=direction)
        return responses
