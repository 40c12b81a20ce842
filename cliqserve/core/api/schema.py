from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.permissions import AllowAny

from .serializers import ErrorSerializer


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
