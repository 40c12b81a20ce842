"""Prometheus exposition, behind a bearer token where one is configured."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_prometheus.exports import ExportToDjangoView

from .errors import error_body, error_object


def _presented_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def metrics(request: HttpRequest) -> HttpResponse:
    expected = settings.METRICS_TOKEN
    if expected:
        if not hmac.compare_digest(_presented_token(request).encode(), expected.encode()):
            error = error_object(
                status=401, code="not_authenticated", detail="A valid metrics bearer token is required."
            )
            return JsonResponse(error_body([error]), status=401, headers={"WWW-Authenticate": "Bearer"})
    elif settings.METRICS_REQUIRE_TOKEN:
        # Production without a configured token: the endpoint does not exist (fail closed).
        error = error_object(status=404, code="not_found", detail="No endpoint matches this path.")
        return JsonResponse(error_body([error]), status=404)
    response: HttpResponse = ExportToDjangoView(request)  # django-prometheus is untyped
    return response
