"""GET /api/v1/reports/stock/ — stock on hand and its value, as JSON pages or one CSV."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from cliqserve.catalog.api.language import catalog_language
from cliqserve.core.api.serializers import StrictSerializer

from ..policies import report_branch_ids
from ..stock import MAX_UNSOLD_DAYS, StockKey, require_branch, stock_report, stock_report_table
from .base import LOCALE, ReportView

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


ANSWER = (
    "JSON: one page of rows with the totals of every matching row. CSV (`?format=csv` or "
    "`Accept: text/csv`): every matching row, no paging, columns branch_code, branch_name, sku, "
    "name, category, quantity, average_cost, value, reorder_level, low, last_sold_at."
)


def decimal_string(help_text: str) -> serializers.CharField:
    return serializers.CharField(help_text=f"Decimal string. {help_text}")


class StockReportQuerySerializer(StrictSerializer):
    branch = serializers.UUIDField(
        required=False,
        help_text="Only this branch (one of the tenant's; a branch manager may name only its own).",
    )
    category = serializers.UUIDField(required=False, help_text="Only this category and its sub-categories.")
    low = serializers.BooleanField(
        required=False, default=False, help_text="true: only levels at or below their reorder level."
    )
    unsold_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_UNSOLD_DAYS,
        help_text="Slow movers: only products with no sale at that branch in the last N days "
        "(voided sales do not count; never sold included).",
    )
    cursor = serializers.CharField(required=False, help_text="`next` of the previous page.")
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
    )
    format = serializers.ChoiceField(
        choices=["json", "csv"], required=False, help_text="csv: every matching row, streamed, no paging."
    )


class StockRowSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="The stock level.")
    branch = serializers.UUIDField(source="branch_id")
    branch_code = serializers.CharField()
    branch_name = serializers.CharField()
    product = serializers.UUIDField(source="product_id")
    sku = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language, else the tenant's, else any.")
    category = serializers.UUIDField(source="category_id", allow_null=True)
    category_name = serializers.CharField(allow_null=True)
    quantity = decimal_string("3 decimals, as the stock level holds it.")
    average_cost = decimal_string("Moving-average unit cost, 4 decimals.")
    value = decimal_string("quantity x average_cost, rounded half up to the currency's decimals.")
    reorder_level = decimal_string("3 decimals.")
    low = serializers.BooleanField(help_text="quantity is at or below reorder_level.")
    last_sold_at = serializers.DateTimeField(
        allow_null=True, help_text="The branch's last sale of the product that was not voided; null if none."
    )


class StockTotalsSerializer(serializers.Serializer[Any]):
    quantity = decimal_string("Sum of every matching row's quantity.")
    value = decimal_string("Sum of every matching row's rounded value.")
    row_count = serializers.IntegerField(help_text="How many rows match, on every page.")


class StockReportSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    rows = StockRowSerializer(many=True)
    totals = StockTotalsSerializer()
    next = serializers.URLField(allow_null=True, help_text="The following page of rows; null on the last.")


def _encode(key: StockKey) -> str:
    raw = json.dumps([key.branch_code, key.sku, str(key.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(cursor: str) -> StockKey:
    try:
        code, sku, level_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(code, str) or not isinstance(sku, str) or "\x00" in code + sku:
            raise ValueError(cursor)  # PostgreSQL text holds no NUL: a forged cursor, not a 500
        return StockKey(code, sku, uuid.UUID(level_id))
    except (ValueError, TypeError, binascii.Error, UnicodeError, AttributeError):
        raise ValidationError({"cursor": [_("This cursor is not valid.")]}, code="invalid") from None


class StockReportView(ReportView):
    """Stock on hand and its value at moving-average cost (contract: GET /api/v1/reports/stock/)."""

    csv_filename: ClassVar[str] = "stock.csv"

    @extend_schema(
        parameters=[StockReportQuerySerializer, LOCALE],
        responses={
            (200, "application/json"): OpenApiResponse(StockReportSerializer, description=ANSWER),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=ANSWER),
        },
        summary="Stock report: quantity and value per branch and product, with totals.",
        description="One row per stock level, ordered by branch code then sku. `value` = quantity x "
        "moving-average cost, rounded half up to the currency's decimals; `totals` are the sums "
        "of every matching row (not only this page), so the rows add up to them exactly. JSON rows "
        f"come in pages of `page_size` (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}): "
        "follow `next` (a cursor: stable and as fast at any depth) until it is null. "
        "`?format=csv` streams every matching row at once. A branch manager sees its own branch "
        "(naming another is 403); a branch or category not of the tenant is 400.",
    )
    def get(self, request: Request) -> Any:
        query = StockReportQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        require_branch(tenant=self.tenant, branch_id=params.get("branch"))
        filters: dict[str, Any] = {
            "tenant": self.tenant,
            "branch_ids": report_branch_ids(actor=self.actor, branch_id=params.get("branch")),
            "category_id": params.get("category"),
            "low": params["low"],
            "unsold_days": params.get("unsold_days"),
            "language": catalog_language(request, default=self.tenant.default_language),
        }
        return self.answer(
            request,
            data=lambda: self._json(request, filters, params),
            table=lambda: stock_report_table(**filters),
        )

    def _json(self, request: Request, filters: dict[str, Any], params: dict[str, Any]) -> Any:
        after = _decode(params["cursor"]) if "cursor" in params else None
        report = stock_report(**filters, after=after, limit=params["page_size"])
        following = report.next_after
        url = request.build_absolute_uri()
        return StockReportSerializer(
            {
                "currency": report.currency,
                "rows": report.rows,
                "totals": report.totals,
                "next": replace_query_param(url, "cursor", _encode(following)) if following else None,
            }
        ).data
