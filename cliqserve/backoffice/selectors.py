"""What the back office's pages read, composed from the other domains' selectors.

Every function takes the tenant and the actor and narrows the domain selector (which already
confines the actor to what it may see) to the branches the page covers. The pages never touch
the ORM themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.catalog import selectors as catalog_selectors
from cliqserve.core.errors import NotPermitted
from cliqserve.inventory import selectors as inventory_selectors
from cliqserve.inventory.models import StockLevel
from cliqserve.reports.policies import report_branch_ids
from cliqserve.reports.selectors import SalesReport, figures_out, sales_reports
from cliqserve.sales import selectors as sales_selectors
from cliqserve.sales.models import Refund, Sale, Shift
from cliqserve.sales.shift_report import ShiftReport, shift_report
from cliqserve.tenants import selectors as tenant_selectors
from cliqserve.tenants.business_days import business_day_of
from cliqserve.tenants.models import Branch

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

# How many rows a list page shows (newest first); the pages say so when there are more.
PAGE_ROWS = 100


class BranchNotFound(NotPermitted):
    """An id that is none of the tenant's branches: refused like another branch is, so the
    answer never tells whether the id exists elsewhere."""


@dataclass(frozen=True)
class Scope:
    """The branches a page covers, and the ones its picker offers."""

    branches: list[Branch]
    selected: Branch | None  # None: every branch the actor sees
    branch_ids: list[uuid.UUID] | None  # for the report selectors: None means the whole tenant

    @property
    def covered_ids(self) -> list[uuid.UUID]:
        return [branch.pk for branch in self.branches] if self.branch_ids is None else self.branch_ids


def page_scope(*, tenant: Tenant, actor: User, branch_id: uuid.UUID | None) -> Scope:
    """The branch a page shows: `branch_id` if the actor may see it, else NotPermitted."""
    branch_ids = report_branch_ids(actor=actor, branch_id=branch_id)
    branches = list(tenant_selectors.branch_list(tenant=tenant, actor=actor).order_by("name", "code"))
    selected = None
    if branch_id is not None:
        selected = next((branch for branch in branches if branch.pk == branch_id), None)
        if selected is None:
            raise BranchNotFound(_("There is no such branch."))
    return Scope(branches=branches, selected=selected, branch_ids=branch_ids)


def shift_page(*, tenant: Tenant, actor: User, branch_ids: Sequence[uuid.UUID]) -> list[Shift]:
    shifts = sales_selectors.shift_list(tenant=tenant, actor=actor).filter(branch_id__in=branch_ids)
    return list(
        shifts.select_related("branch", "device", "cashier").order_by("-opened_at", "-id")[:PAGE_ROWS]
    )


def shift_detail(*, tenant: Tenant, actor: User, shift_id: uuid.UUID) -> ShiftReport | None:
    """A shift the actor may see, with its Z report figures; None when there is none."""
    shift = (
        sales_selectors.shift_list(tenant=tenant, actor=actor)
        .select_related("branch", "device", "cashier", "closed_by")
        .filter(pk=shift_id)
        .first()
    )
    return None if shift is None else shift_report(tenant=tenant, shift=shift)


def sales_by_receipt(*, tenant: Tenant, actor: User, receipt_number: str) -> list[Sale]:
    """The sales with this receipt number the actor may see (a number is unique per device),
    with their lines, payments and refunds."""
    refunds = Refund.objects.filter(tenant=tenant).order_by("created_at", "id")
    sales = (
        sales_selectors.sale_list(tenant=tenant, actor=actor)
        .filter(receipt_number=receipt_number.strip())
        .prefetch_related(Prefetch("refunds", queryset=refunds))
    )
    return list(sales.select_related("branch", "device", "cashier").order_by("-sold_at")[:PAGE_ROWS])


def review_queue(*, tenant: Tenant, actor: User, branch_ids: Sequence[uuid.UUID]) -> QuerySet[Sale]:
    """The offline sales flagged for review, oldest first: the order they should be cleared in."""
    sales = sales_selectors.sale_list(tenant=tenant, actor=actor).prefetch_related(None)
    return (
        sales.filter(needs_review=True, branch_id__in=branch_ids)
        .select_related("branch", "device", "cashier")
        .order_by("sold_at", "id")
    )


def reviewable_sale(*, tenant: Tenant, actor: User, sale_id: uuid.UUID) -> Sale | None:
    return sales_selectors.sale_get(tenant=tenant, actor=actor, sale_id=sale_id)


def low_stock(*, tenant: Tenant, actor: User, branch_ids: Sequence[uuid.UUID]) -> list[StockLevel]:
    """Stock at or under its reorder level (a level of 0 means "not watched"), lowest first."""
    levels = inventory_selectors.stock_level_list(tenant=tenant, actor=actor).filter(
        branch_id__in=branch_ids, reorder_level__gt=0, quantity__lte=F("reorder_level")
    )
    return list(levels.select_related("branch", "product").order_by("quantity", "product__sku")[:PAGE_ROWS])


def category_choices(*, tenant: Tenant) -> list[tuple[uuid.UUID, str]]:
    return list(catalog_selectors.category_list(tenant=tenant).order_by("name").values_list("pk", "name"))


# --- Sales figures (reports.selectors.sales_report: the API's own numbers) ---------------------

DASHBOARD_DAYS = 30
TOP_ROWS = 10


def business_today(*, tenant: Tenant, scope: Scope) -> date:
    """Today's business day, on the picked branch's clock (else the tenant's)."""
    zone = scope.selected.timezone if scope.selected is not None else tenant.timezone
    return business_day_of(timezone.now(), timezone_name=zone, ends_at=tenant.business_day_ends_at)


def report_rows(report: SalesReport, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The rows (the first `limit`) as the API answers them: key, label and the figures in the
    currency's decimals."""
    return [
        {"key": row.key, "label": row.label, **figures_out(row.figures, report.currency)}
        for row in report.rows[:limit]
    ]


def report_totals(report: SalesReport) -> dict[str, Any]:
    return figures_out(report.totals, report.currency)


def chart_data(rows: Sequence[dict[str, Any]], *series: tuple[str, str]) -> dict[str, Any]:
    """What a chart draws: labels and, per series (title, figure), the figures as strings."""
    return {
        "labels": [row["label"] for row in rows],
        "series": [{"label": title, "values": [str(row[name]) for row in rows]} for title, name in series],
    }


@dataclass(frozen=True)
class Dashboard:
    today: date
    same_day_last_week: date
    today_figures: dict[str, Any]
    last_week_figures: dict[str, Any]
    days: list[dict[str, Any]]
    top_products: list[dict[str, Any]]
    categories: list[dict[str, Any]]


def dashboard(*, tenant: Tenant, scope: Scope) -> Dashboard:
    """Today against the same weekday a week ago, the last 30 days by day, and the last 30
    days' best products and margin per category: one read of the sales report, three ways."""
    today = business_today(tenant=tenant, scope=scope)
    reports = sales_reports(
        tenant=tenant,
        branch_ids=scope.branch_ids,
        date_from=today - timedelta(days=DASHBOARD_DAYS - 1),
        date_to=today,
        group_bys=["day", "product", "category"],
    )
    days = report_rows(reports["day"])
    by_key = {row["key"]: row for row in days}
    last_week = today - timedelta(days=7)
    return Dashboard(
        today=today,
        same_day_last_week=last_week,
        today_figures=by_key[today.isoformat()],
        last_week_figures=by_key[last_week.isoformat()],
        days=days,
        top_products=report_rows(reports["product"], limit=TOP_ROWS),
        categories=report_rows(reports["category"]),
    )
