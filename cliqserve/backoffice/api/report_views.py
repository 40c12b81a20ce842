"""The pages that read the sales report: the dashboard, the report with its filters, its CSV.

They read `reports.selectors.sales_report` with the branches `reports.policies.report_branch_ids`
allows, exactly as GET /api/v1/reports/sales/ does, so every figure on a page is the API's.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cliqserve.core.feature_flags import flag_on
from cliqserve.reports.selectors import SalesReport, sales_report, sales_report_table
from cliqserve.reports.tabular import csv_lines

from .. import selectors
from .base import Page
from .forms import SalesReportForm

DASHBOARD_FLAG = "backoffice.dashboard.view"


class DashboardView(Page):
    """Behind `backoffice.dashboard.view`, on unless the platform owner switches it off (its
    many report queries make it the page to shed first): off, the sales report takes its place."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not flag_on(DASHBOARD_FLAG, request=request):
            # The branch picked on the dashboard carries over; nothing else of its query does.
            branch = request.GET.get("branch", "")
            query = f"?{urlencode({'branch': branch})}" if branch else ""
            return redirect(reverse("backoffice:sales") + query)
        scope = self.scope()
        board = selectors.dashboard(tenant=self.tenant, scope=scope)
        low = selectors.low_stock(tenant=self.tenant, actor=self.actor, branch_ids=scope.covered_ids)
        context = {
            "scope": scope,
            "board": board,
            "low_stock": low,
            "days_chart": selectors.chart_data(
                board.days, (_("Net sales"), "net_sales"), (_("Gross margin"), "gross_margin")
            ),
            "categories_chart": selectors.chart_data(
                board.categories, (_("Net sales"), "net_sales"), (_("Gross margin"), "gross_margin")
            ),
        }
        return render(request, "backoffice/dashboard.html", context)


class SalesFilters(Page):
    """The sales report's filters from the query string, defaulting to the last 30 days by day."""

    def filters(self, scope: selectors.Scope) -> SalesReportForm:
        today = selectors.business_today(tenant=self.tenant, scope=scope)
        defaults: dict[str, Any] = {
            "date_from": (today - timedelta(days=selectors.DASHBOARD_DAYS - 1)).isoformat(),
            "date_to": today.isoformat(),
            "group_by": "day",
        }
        given = {name: self.request.GET[name] for name in defaults if self.request.GET.get(name)}
        return SalesReportForm({**defaults, **given})

    def report_of(self, form: SalesReportForm, scope: selectors.Scope) -> SalesReport:
        data = form.cleaned_data
        start: date = data["date_from"]
        end: date = data["date_to"]
        return sales_report(
            tenant=self.tenant,
            branch_ids=scope.branch_ids,
            date_from=start,
            date_to=end,
            group_by=data["group_by"],
        )


class SalesReportView(SalesFilters):
    def get(self, request: HttpRequest) -> HttpResponse:
        scope = self.scope()
        form = self.filters(scope)
        context: dict[str, Any] = {"scope": scope, "form": form}
        if not form.is_valid():
            return render(request, "backoffice/sales.html", context, status=400)
        report = self.report_of(form, scope)
        rows = selectors.report_rows(report)
        context.update(
            rows=rows,
            totals=selectors.report_totals(report),
            chart=selectors.chart_data(
                rows, (_("Net sales"), "net_sales"), (_("Gross margin"), "gross_margin")
            ),
            csv_query=request.GET.urlencode(),
        )
        return render(request, "backoffice/sales.html", context)


class SalesCSVView(SalesFilters):
    """The report as CSV — the API's `?format=csv` table — for a browser with a session."""

    def get(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        scope = self.scope()
        form = self.filters(scope)
        if not form.is_valid():
            return render(request, "backoffice/sales.html", {"scope": scope, "form": form}, status=400)
        report = self.report_of(form, scope)
        response = StreamingHttpResponse(
            csv_lines(sales_report_table(report)), content_type="text/csv; charset=utf-8"
        )
        name = f"sales-report-{report.date_from}-{report.date_to}-{report.group_by}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
