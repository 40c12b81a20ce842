"""What every report endpoint shares: its roles, `?format=csv`, and errors always in JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.http import Http404, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.conditional import revalidated_by_body
from cliqserve.core.api.views import PolicyAPIView
from cliqserve.core.feature_flags import flag_on
from cliqserve.core.roles import ApiKeyScope

from ..policies import REPORT_ROLES
from ..tabular import Table, csv_lines

LOCALIZED_FLAG = "reports.exports.localized"
LOCALE = OpenApiParameter(
    "locale",
    OpenApiTypes.STR,
    enum=[code for code, _name in settings.LANGUAGES],
    description="With `format=csv`: numbers written this language's way (`es`, `fr`: decimal comma, "
    "cells separated by semicolons). Only where the flag `reports.exports.localized` is on for "
    "the caller; elsewhere it is ignored and numbers are plain (`12.50`).",
)


class CSVRenderer(BaseRenderer):
    """Makes `?format=csv` (and `Accept: text/csv`) a format DRF negotiates.

    A report answers CSV with its own streaming response; only an error body ever reaches
    this renderer, and errors are JSON in every format (the contract's error shape).
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        body: bytes = JSONRenderer().render(data)
        return body


class ReportView(PolicyAPIView):
    policy: ClassVar = {"get": REPORT_ROLES}
    key_scopes: ClassVar = {"get": ApiKeyScope.REPORTS_READ}
    renderer_classes = (JSONRenderer, CSVRenderer)
    csv_filename: ClassVar[str] = "report.csv"
    revalidated: ClassVar[bool] = True

    def wants_csv(self, request: Request) -> bool:
        renderer = getattr(request, "accepted_renderer", None)
        return isinstance(renderer, CSVRenderer)

    def answer(self, request: Request, *, data: Callable[[], Any], table: Callable[[], Table]) -> Any:
        """JSON from `data()`, or CSV streamed from `table()` when the caller asked for CSV."""
        if self.wants_csv(request):
            lines = csv_lines(table(), locale=self.csv_locale(request))
            response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{self.csv_filename}"'
            return response
        return revalidated_by_body(request, data())

    def csv_locale(self, request: Request) -> str | None:
        """`?locale=` where the flag lets this caller localize; otherwise None, as before the flag."""
        wanted = request.query_params.get("locale")
        if not wanted or not flag_on(LOCALIZED_FLAG, request=request):
            return None
        if wanted not in dict(settings.LANGUAGES):
            choices = ", ".join(code for code, _name in settings.LANGUAGES)
            raise ValidationError({"locale": [_("Use one of: %(choices)s.") % {"choices": choices}]})
        return wanted

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        """An unknown `?format=` is a 400 naming it (DRF would answer a bare 404)."""
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            raise ValidationError({"format": [_("Use csv or json.")]}) from None

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        response.content_type = "application/json"
        return response
