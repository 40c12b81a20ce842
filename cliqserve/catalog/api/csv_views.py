"""CSV in and out: POST /api/v1/imports/products/ (202 + a job) and GET /api/v1/exports/products/."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any, ClassVar

from django.conf import settings
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.jobs import JobSerializer
from cliqserve.core.api.serializers import StrictSerializer
from cliqserve.core.api.views import PolicyAPIView
from cliqserve.core.errors import InvalidInput
from cliqserve.core.roles import Role
from cliqserve.core.tenancy import tenant_scope

from ..csv_io import export_header, export_rows
from ..custom_fields import custom_field_definitions
from ..imports import decode_upload, product_import_start
from ..selectors import product_export_list


class CSVTextParser(BaseParser):
    """A raw `text/csv` body: `curl --data-binary @products.csv -H 'Content-Type: text/csv'`."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # Read one byte past the limit, never the whole of an oversized body.
        return stream.read(settings.IMPORT_MAX_BYTES + 1) if stream is not None else b""


class ProductImportUploadSerializer(StrictSerializer):
    file = serializers.FileField(help_text="A UTF-8 CSV file (see the column list in the docs).")


# Multipart framing around the file: a generous allowance on top of the file limit.
MULTIPART_OVERHEAD = 64 * 1024


def _refuse_oversized_body(request: Request) -> None:
    """Refuse by Content-Length before Django spools a huge upload to disk."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.IMPORT_MAX_BYTES + MULTIPART_OVERHEAD:
        raise InvalidInput(
            _("The file is larger than %(limit)s bytes.") % {"limit": settings.IMPORT_MAX_BYTES},
            pointer="/file",
        )


def _uploaded_bytes(request: Request) -> bytes:
    if isinstance(request.data, bytes):
        return request.data
    serializer = ProductImportUploadSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    upload = serializer.validated_data["file"]
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise InvalidInput(
            _("The file is larger than %(limit)s bytes.") % {"limit": settings.IMPORT_MAX_BYTES},
            pointer="/file",
        )
    return bytes(upload.read())


class ProductImportView(PolicyAPIView):
    """Upload a product CSV; rows are created or updated by sku in the background."""

    policy: ClassVar = {"post": {Role.TENANT_ADMIN}}
    parser_classes = [MultiPartParser, CSVTextParser]

    @extend_schema(
        request={"multipart/form-data": ProductImportUploadSerializer, "text/csv": OpenApiTypes.STR},
        responses={202: JobSerializer},
        summary="Import products from CSV (answers 202 with a job to follow at /api/v1/jobs/{id}/).",
    )
    def post(self, request: Request) -> Response:
        _refuse_oversized_body(request)
        text = decode_upload(_uploaded_bytes(request))
        job = product_import_start(tenant=self.tenant, actor=self.actor, text=text)
        location = reverse("job-detail", args=[job.pk])
        return Response(
            JobSerializer(job).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed."""

    def write(self, value: str) -> str:
        return value


class ProductExportView(PolicyAPIView):
    """The whole catalog as CSV, streamed; the same columns the import reads."""

    policy: ClassVar = {"get": {Role.TENANT_ADMIN, Role.BRANCH_MANAGER}}

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR, description="Products as CSV.")
        },
        summary="Export products as CSV.",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        keys = list(
            custom_field_definitions(tenant=self.tenant).order_by("key").values_list("key", flat=True)
        )
        writer = csv.writer(_Echo())

        tenant = self.tenant

        def lines() -> Iterator[str]:
            # Streamed after the view has returned and left the request's tenant scope: the
            # rows are read in a scope of their own.
            with tenant_scope(tenant.pk):
                yield writer.writerow(export_header(keys))
                products = product_export_list(tenant=tenant)
                for cells in export_rows(tenant=tenant, products=products, custom_keys=keys):
                    yield writer.writerow(cells)

        filename = f"products-{timezone.now():%Y%m%d-%H%M%S}.csv"
        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
