"""GET /api/v1/reports/sales/: the sales report (JSON or CSV)."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request

from ..policies import report_branch_ids
from ..selectors import SalesReport, figures_out, sales_report, sales_report_table
from .base import LOCALE, ReportView
from .serializers import SalesReportQuerySerializer, SalesReportSerializer

FORMAT = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["json", "csv"], description="`csv` answers a CSV file."
)


def sales_report_out(report: SalesReport) -> dict[str, Any]:
    rows = [
        {"key": row.key, "label": row.label, **figures_out(row.figures, report.currency)}
        for row in report.rows
    ]
    return {
        "group_by": report.group_by,
        "from": report.date_from,
        "to": report.date_to,
        "currency": report.currency,
        "rows": rows,
        "totals": figures_out(report.totals, report.currency),
    }


class SalesReportView(ReportView):
    """Sales, discounts, refunds, net sales, tax, cost of goods and margin over business days,
    grouped by one dimension. Voided sales are left out; a refund counts on its own day. The
    money of the rows adds up to `totals` exactly; `totals.sale_count` counts distinct sales."""

    csv_filename: ClassVar[str] = "sales-report.csv"

    @extend_schema(
        operation_id="reports_sales",
        parameters=[SalesReportQuerySerializer, FORMAT, LOCALE],
        responses={(200, "application/json"): SalesReportSerializer, (200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request) -> Any:
        query = SalesReportQuerySerializer(data=request.query_params, context={"actor": self.actor})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        report = sales_report(
            tenant=self.tenant,
            branch_ids=report_branch_ids(actor=self.actor, branch_id=params.get("branch")),
            date_from=params["from"],
            date_to=params["to"],
            group_by=params["group_by"],
        )
        return self.answer(
            request,
            data=lambda: (
                SalesReportSerializer(sales_report_out(report), context={"currency": report.currency}).data
            ),
            table=lambda: sales_report_table(report),
        )
