"""The back office's pages. Each reads through the selectors, exactly as the API does."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .. import selectors
from .base import Page, refused
from .forms import ReceiptForm


class ShiftListView(Page):
    def get(self, request: HttpRequest) -> HttpResponse:
        scope = self.scope()
        shifts = selectors.shift_page(tenant=self.tenant, actor=self.actor, branch_ids=scope.covered_ids)
        context = {"scope": scope, "shifts": shifts, "page_rows": selectors.PAGE_ROWS}
        return render(request, "backoffice/shifts.html", context)


class ShiftDetailView(Page):
    def get(self, request: HttpRequest, shift_id: uuid.UUID) -> HttpResponse:
        report = selectors.shift_detail(tenant=self.tenant, actor=self.actor, shift_id=shift_id)
        if report is None:
            return refused(request, status=404, detail=_("There is no such shift."))
        return render(request, "backoffice/shift_detail.html", {"report": report, "totals": report.totals})


class SaleLookupView(Page):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = ReceiptForm(request.GET or None)
        context: dict[str, Any] = {"form": form, "sales": None}
        if form.is_valid():
            context["sales"] = selectors.sales_by_receipt(
                tenant=self.tenant, actor=self.actor, receipt_number=form.cleaned_data["receipt"]
            )
        return render(request, "backoffice/sale_lookup.html", context)


class ReviewQueueView(Page):
    def get(self, request: HttpRequest) -> HttpResponse:
        scope = self.scope()
        queue = selectors.review_queue(tenant=self.tenant, actor=self.actor, branch_ids=scope.covered_ids)
        sales = list(queue[: selectors.PAGE_ROWS])
        context = {"scope": scope, "sales": sales, "page_rows": selectors.PAGE_ROWS}
        return render(request, "backoffice/review.html", context)
