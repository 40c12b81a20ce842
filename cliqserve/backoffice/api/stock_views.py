"""The stock page and its CSV: `reports.stock.stock_report`, the API's own stock report."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from cliqserve.reports.stock import stock_report, stock_report_table
from cliqserve.reports.tabular import csv_lines

from .. import selectors
from .base import Page
from .forms import StockForm


class StockFilters(Page):
    def filters(self) -> StockForm:
        return StockForm(self.request.GET or None, categories=selectors.category_choices(tenant=self.tenant))

    def params(self, form: StockForm) -> dict[str, Any]:
        data = form.cleaned_data if form.is_bound else {}
        return {
            "category_id": data.get("category") or None,
            "low": bool(data.get("low")),
            "unsold_days": data.get("unsold_days"),
            "language": get_language(),
        }


class StockView(StockFilters):
    def get(self, request: HttpRequest) -> HttpResponse:
        scope = self.scope()
        form = self.filters()
        context: dict[str, Any] = {"scope": scope, "form": form, "page_rows": selectors.PAGE_ROWS}
        if form.is_bound and not form.is_valid():
            return render(request, "backoffice/stock.html", context, status=400)
        report = stock_report(
            tenant=self.tenant, branch_ids=scope.branch_ids, limit=selectors.PAGE_ROWS, **self.params(form)
        )
        context.update(report=report, csv_query=request.GET.urlencode())
        return render(request, "backoffice/stock.html", context)


class StockCSVView(StockFilters):
    def get(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        scope = self.scope()
        form = self.filters()
        if form.is_bound and not form.is_valid():
            return render(request, "backoffice/stock.html", {"scope": scope, "form": form}, status=400)
        table = stock_report_table(tenant=self.tenant, branch_ids=scope.branch_ids, **self.params(form))
        # The table reads its rows as the response streams, in its own tenant scope.
        response = StreamingHttpResponse(csv_lines(table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="stock.csv"'
        return response
