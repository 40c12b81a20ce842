"""POST /api/v1/exports/ (202 + a job) and GET /api/v1/exports/{id}/download/?token=..."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Model
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cliqserve.catalog.models import Product
from cliqserve.core.api.jobs import JobSerializer
from cliqserve.core.api.schema import OPTIONAL_IDEMPOTENCY_KEY
from cliqserve.core.api.serializers import ErrorSerializer, StrictSerializer
from cliqserve.core.api.views import PolicyAPIView
from cliqserve.core.idempotency import idempotent_when_keyed
from cliqserve.inventory.models import StockMovement
from cliqserve.tenants.models import Branch

from ..exports import EXPORT_REPORTS, export_file_open, export_from_token, report_export_start
from ..models import ReportExport
from ..policies import REPORT_ROLES
from .serializers import SalesReportQuerySerializer
from .stock_views import StockReportQuerySerializer

# Business days a report may name: any real one, and none whose bounds overflow a datetime.
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(9998, 12, 31)

# --- Each report's query parameters (`params`), validated as its own endpoint would ------------


class StockMovementsQuerySerializer(StrictSerializer):
    """The filters of GET /api/v1/stock-movements/, plus business days `from` and `to`."""

    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects, required=False)
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects, required=False)
    kind = serializers.ChoiceField(choices=StockMovement.Kind.choices, required=False)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # `from` is a Python keyword: named here rather than as attributes.
        fields["from"] = serializers.DateField(required=False, help_text="First business day (inclusive).")
        fields["to"] = serializers.DateField(required=False, help_text="Last business day (inclusive).")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("from", "to"):
            day = attrs.get(name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise serializers.ValidationError(
                    {
                        name: [
                            _("Pick a day between %(first)s and %(last)s.")
                            % {"first": FIRST_DAY, "last": LAST_DAY}
                        ]
                    }
                )
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": [_("`to` is before `from`.")]})
        return attrs


class AuditEventsQuerySerializer(StrictSerializer):
    """The filters of GET /api/v1/audit-events/ (instants, `to` exclusive)."""

    actor = serializers.UUIDField(required=False)
    action = serializers.CharField(required=False, max_length=64)
    object_type = serializers.CharField(required=False, max_length=64)
    object_id = serializers.CharField(required=False, max_length=64)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField(required=False, help_text="From this instant on.")
        fields["to"] = serializers.DateTimeField(required=False, help_text="Before this instant.")
        return fields


# report -> its query serializer. A report is exportable when it is here and in EXPORT_REPORTS.
EXPORT_PARAMS: dict[str, type[serializers.Serializer[Any]]] = {
    "sales": SalesReportQuerySerializer,
    "stock": StockReportQuerySerializer,
    "stock_movements": StockMovementsQuerySerializer,
    "audit_events": AuditEventsQuerySerializer,
}
REPORT_CHOICES = tuple(report for report in EXPORT_PARAMS if report in EXPORT_REPORTS)


def _jsonable(value: Any) -> Any:
    """A validated value as it is stored on the job (JSON)."""
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, datetime.date | uuid.UUID | Decimal):
        return value.isoformat() if isinstance(value, datetime.date) else str(value)
    return value


class ExportRequestSerializer(StrictSerializer):
    report = serializers.ChoiceField(
        choices=REPORT_CHOICES,
        help_text="`sales`, `stock`, `stock_movements` and `audit_events` (the tenant admin's only).",
    )
    params = serializers.DictField(
        required=False,
        default=dict,
        help_text="The report's query parameters, as its GET endpoint takes them (e.g. `from`, `to`, "
        "`branch`); errors point into them (`/params/from`).",
    )
    format = serializers.ChoiceField(choices=ReportExport.Format.choices)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        report = attrs["report"]
        params = EXPORT_PARAMS[report](data=attrs.get("params") or {}, context=self.context)
        if not params.is_valid():
            raise serializers.ValidationError({"params": params.errors})
        attrs["params"] = {key: _jsonable(value) for key, value in params.validated_data.items()}
        return attrs


class ExportView(PolicyAPIView):
    """Export a report to a CSV or XLSX file in the background."""

    policy: ClassVar = {"post": REPORT_ROLES}

    @extend_schema(
        request=ExportRequestSerializer,
        parameters=[OPTIONAL_IDEMPOTENCY_KEY],
        responses={
            202: JobSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`validation_error`: an unknown or unavailable `report`, a bad `format`, "
                "or a bad report parameter (pointer `/params/<name>`).",
            ),
            403: OpenApiResponse(
                ErrorSerializer,
                description="`permission_denied`: not a tenant admin or branch manager, a manager "
                "naming another branch, or anyone but the tenant admin exporting `audit_events`.",
            ),
        },
        summary="Export a report (answers 202 with a job; the finished job carries `download_url`).",
    )
    def post(self, request: Request) -> HttpResponse:
        return idempotent_when_keyed(request, self._start)

    def _start(self) -> Response:
        context = {"request": self.request, "actor": self.actor}
        serializer = ExportRequestSerializer(data=self.request.data, context=context)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = report_export_start(
            tenant=self.tenant,
            actor=self.actor,
            report=data["report"],
            params=data["params"],
            file_format=data["format"],
        )
        return Response(
            JobSerializer(job, context={"request": self.request}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("job-detail", args=[job.pk])},
        )


class ExportDownloadView(APIView):
    """The file of a finished export, for whoever holds the link (no bearer token: a browser can
    open it). The signed token names this one file and expires; a tampered one is 404."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        auth=[],
        parameters=[
            OpenApiParameter(
                "token", OpenApiTypes.STR, required=True, description="From the job's `download_url`."
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, CSV or XLSX as the export asked."
            ),
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY, description="The file, CSV or XLSX as the export asked."),
            403: OpenApiResponse(ErrorSerializer, description="`permission_denied`: the link has expired."),
            404: OpenApiResponse(
                ErrorSerializer,
                description="`not_found`: a tampered link, another file's, or a deleted file.",
            ),
        },
        summary="Download an export's file through its expiring link.",
    )
    def get(self, request: Request, pk: uuid.UUID) -> FileResponse:
        export = export_from_token(export_id=pk, token=request.query_params.get("token", ""))
        filename = export.file.name.rsplit("/", 1)[-1]
        return FileResponse(
            export_file_open(export),
            as_attachment=True,
            filename=filename,
            content_type=CONTENT_TYPES[export.format],
        )


CONTENT_TYPES: dict[str, str] = {
    ReportExport.Format.CSV: "text/csv; charset=utf-8",
    ReportExport.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
