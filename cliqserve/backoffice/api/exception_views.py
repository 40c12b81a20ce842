"""The exceptions report and the review of flagged sales: `reports.exceptions` and
`sales.services.review`, exactly as the API calls them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from cliqserve.reports.exceptions import exceptions_report
from cliqserve.sales.services.review import sale_review

from .. import selectors
from .base import Page, refused
from .forms import PeriodForm, ReviewForm

TALLIES = (
    ("voids", _("Voids")),
    ("refunds", _("Refunds")),
    ("discounts_over_limit", _("Discounts over the limit")),
    ("price_overrides", _("Price overrides")),
    ("cash_variance", _("Cash variance")),
    ("offline_needs_review", _("Offline sales to review")),
)


class ExceptionsView(Page):
    def get(self, request: HttpRequest) -> HttpResponse:
        scope = self.scope()
        today = selectors.business_today(tenant=self.tenant, scope=scope)
        defaults = {"date_from": (today - timedelta(days=6)).isoformat(), "date_to": today.isoformat()}
        given = {name: request.GET[name] for name in defaults if request.GET.get(name)}
        form = PeriodForm({**defaults, **given})
        context: dict[str, Any] = {"scope": scope, "form": form, "tallies": TALLIES}
        if not form.is_valid():
            return render(request, "backoffice/exceptions.html", context, status=400)
        report = exceptions_report(
            tenant=self.tenant,
            branch_ids=scope.branch_ids,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
        )
        context["report"] = report
        return render(request, "backoffice/exceptions.html", context)


class ReviewSaleView(Page):
    """POST a note: the sale is marked reviewed (sales.services.review.sale_review)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, sale_id: uuid.UUID) -> HttpResponse:
        sale = selectors.reviewable_sale(tenant=self.tenant, actor=self.actor, sale_id=sale_id)
        if sale is None:
            return refused(request, status=404, detail=_("There is no such sale."))
        form = ReviewForm(request.POST)
        if not form.is_valid():
            return refused(request, status=400, detail=_("Say what you checked."))
        sale_review(tenant=self.tenant, actor=self.actor, sale=sale, note=form.cleaned_data["note"])
        messages.success(request, _("Receipt %(number)s marked reviewed.") % {"number": sale.receipt_number})
        return HttpResponseRedirect(reverse("backoffice:review"))
