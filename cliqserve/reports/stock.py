"""The stock report: quantity on hand and its value at moving-average cost, per branch and product.

A row is one stock level. Its `value` is quantity x average cost rounded to the tenant's
currency (half up, in SQL, the same expression for the rows and for the totals), and `totals`
are the sums of those rounded values, so the rows always add up to the totals exactly.

"Last sold" comes from the stock ledger: the newest `sale` movement of the (branch, product)
whose sale was not voided (a void returns the goods with a `void` movement whose reference
names the sale: "sale:<id>" is answered by "void:<id>"). A refund does not undo a sale. Slow
movers (`unsold_days`) read one tenant's sales of the period from a partial index alone
(`movement_sales_by_time`, with `movement_void_ref` for voids; inventory migration 0003): the
cost follows the sales of the period, never the whole ledger. `last_sold_at` of a row is one
probe of `movement_lookup` per row shown.
Products that do not track stock have no ledger and no stock levels, so they never appear.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Concat, Round, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.catalog.models import Category, ProductTranslation
from cliqserve.core.errors import InvalidInput
from cliqserve.core.money import MONEY_PLACES, QUANTITY_PLACES
from cliqserve.core.tenancy import tenant_scope
from cliqserve.core.validators import currency_decimal_places
from cliqserve.inventory.models import StockLevel, StockMovement
from cliqserve.inventory.selectors import LOW_STOCK
from cliqserve.tenants.models import Branch, Tenant

from .tabular import Table, number, text

MAX_UNSOLD_DAYS = 3650
# The order of the rows, and the key a page of rows continues after.
ORDERING = ("branch__code", "product__sku", "id")
ZERO_QUANTITY = Decimal(0).quantize(Decimal(1).scaleb(-QUANTITY_PLACES))

SALE_PREFIX, VOID_PREFIX = "sale:", "void:"


@dataclass(frozen=True)
class StockKey:
    """Where a row sits in the report's order (branch code, sku, level id)."""

    branch_code: str
    sku: str
    id: uuid.UUID


@dataclass(frozen=True)
class StockRow:
    id: uuid.UUID  # the stock level
    branch_id: uuid.UUID
    branch_code: str
    branch_name: str
    product_id: uuid.UUID
    sku: str
    name: str
    category_id: uuid.UUID | None
    category_name: str | None
    quantity: Decimal
    average_cost: Decimal
    value: Decimal
    reorder_level: Decimal
    low: bool
    last_sold_at: datetime | None

    @property
    def key(self) -> StockKey:
        return StockKey(self.branch_code, self.sku, self.id)


@dataclass(frozen=True)
class StockTotals:
    quantity: Decimal
    value: Decimal
    row_count: int


@dataclass(frozen=True)
class StockReport:
    """The totals over every matching row, and the rows of one page (all of them if no limit).

    `next_after` is the key to pass as `after` for the following page; None on the last one.
    """

    currency: str
    totals: StockTotals
    rows: list[StockRow]
    next_after: StockKey | None


# --- Scope and filters ------------------------------------------------------------------------------


def require_branch(*, tenant: Tenant, branch_id: uuid.UUID | None) -> None:
    """A `branch` filter must name one of the tenant's branches (another tenant's is unknown)."""
    if branch_id is not None and not Branch.objects.filter(tenant=tenant, id=branch_id).exists():
        raise InvalidInput(_("Unknown branch."), pointer="/branch")


def category_with_descendants(*, tenant: Tenant, category_id: uuid.UUID) -> set[uuid.UUID]:
    """The category and every category under it, at any depth (one query for the whole tree)."""
    parents = dict(Category.objects.filter(tenant=tenant).values_list("id", "parent_id"))
    if category_id not in parents:
        raise InvalidInput(_("Unknown category."), pointer="/category")
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found, pending = set(), [category_id]
    while pending:
        current = pending.pop()
        if current not in found:  # a cycle written around the API cannot loop forever
            found.add(current)
            pending.extend(children.get(current, ()))
    return found


def unsold_since(unsold_days: int) -> datetime:
    if not 1 <= unsold_days <= MAX_UNSOLD_DAYS:
        raise InvalidInput(
            _("Give a whole number of days from 1 to %(max)d.") % {"max": MAX_UNSOLD_DAYS},
            pointer="/unsold_days",
        )
    return timezone.now() - timedelta(days=unsold_days)


def _kept_sales(tenant: Tenant) -> QuerySet[StockMovement]:
    """Sale movements of the outer stock level's branch and product whose sale was not voided."""
    voided = StockMovement.objects.filter(
        tenant=tenant,
        kind=StockMovement.Kind.VOID,
        reference=Concat(Value(VOID_PREFIX), Substr(OuterRef("reference"), len(SALE_PREFIX) + 1)),
    )
    return StockMovement.objects.filter(
        tenant=tenant,
        kind=StockMovement.Kind.SALE,
        branch_id=OuterRef("branch_id"),
        product_id=OuterRef("product_id"),
    ).filter(~Exists(voided))


def _value(decimals: int) -> Round:
    return Round(
        F("quantity") * F("average_cost"),
        decimals,
        output_field=DecimalField(max_digits=32, decimal_places=MONEY_PLACES),
    )


def _levels(
    *,
    tenant: Tenant,
    branch_ids: Sequence[uuid.UUID] | None,
    category_id: uuid.UUID | None,
    low: bool,
    unsold_days: int | None,
) -> QuerySet[StockLevel]:
    """The matching stock levels (filters only: totals aggregate these, pages annotate them)."""
    levels = StockLevel.objects.filter(tenant=tenant)
    if branch_ids is not None:
        levels = levels.filter(branch_id__in=branch_ids)
    if category_id is not None:
        levels = levels.filter(
            product__category_id__in=category_with_descendants(tenant=tenant, category_id=category_id)
        )
    if low:
        levels = levels.filter(LOW_STOCK)
    if unsold_days is not None:
        since = unsold_since(unsold_days)
        levels = levels.filter(~Exists(_kept_sales(tenant).filter(created_at__gte=since)))
    return levels


def _product_name(tenant: Tenant, language: str | None) -> Subquery:
    """The product's name in `language`, else the tenant's language, else any (as receipts do)."""
    preferred = [code for code in (language, tenant.default_language) if code]
    rank = Case(
        *(When(language_code=code, then=Value(position)) for position, code in enumerate(preferred)),
        default=Value(len(preferred)),
    )
    names = (
        ProductTranslation.objects.filter(master_id=OuterRef("product_id"))
        .annotate(rank=rank)
        .order_by("rank", "language_code")
        .values("name")[:1]
    )
    return Subquery(names)


def _rows(levels: QuerySet[StockLevel], *, tenant: Tenant, decimals: int, language: str | None) -> Any:
    last_sale = _kept_sales(tenant).order_by("-created_at").values("created_at")[:1]
    return (
        levels.annotate(
            last_sold_at=Subquery(last_sale),
            value=_value(decimals),
            low=Case(When(LOW_STOCK, then=Value(True)), default=Value(False)),
            name=_product_name(tenant, language),
        )
        .order_by(*ORDERING)
        .values_list(
            "id",
            "branch_id",
            "branch__code",
            "branch__name",
            "product_id",
            "product__sku",
            "name",
            "product__category_id",
            "product__category__name",
            "quantity",
            "average_cost",
            "value",
            "reorder_level",
            "low",
            "last_sold_at",
        )
    )


def _after(key: StockKey) -> Q:
    return (
        Q(branch__code__gt=key.branch_code)
        | Q(branch__code=key.branch_code, product__sku__gt=key.sku)
        | Q(branch__code=key.branch_code, product__sku=key.sku, id__gt=key.id)
    )


def _row(values: Sequence[Any]) -> StockRow:
    row = StockRow(*values)
    # A product saved without any translation still has a sku to show.
    return row if row.name is not None else replace(row, name=row.sku)


# --- The report ---------------------------------------------------------------------------------


def stock_report(
    *,
    tenant: Tenant,
    branch_ids: Sequence[uuid.UUID] | None,
    category_id: uuid.UUID | None = None,
    low: bool = False,
    unsold_days: int | None = None,
    after: StockKey | None = None,
    limit: int | None = None,
    language: str | None = None,
) -> StockReport:
    """Stock on hand and its value, ordered by branch code then sku.

    `branch_ids`: the branches to cover (None: every branch of the tenant), as
    `reports.policies.report_branch_ids` answers. `category_id` covers its sub-categories too.
    `low`: only levels at or below their reorder level. `unsold_days`: only levels with no kept
    sale at their branch in that many days (never sold included). `after`/`limit`: one page of
    rows (all of them when `limit` is None); the totals always cover every matching row.
    Raises InvalidInput for another tenant's (or an unknown) category and an out-of-range
    `unsold_days`. Three queries (four with a category), whatever the number of rows.
    """
    decimals = currency_decimal_places(tenant.currency)
    levels = _levels(
        tenant=tenant, branch_ids=branch_ids, category_id=category_id, low=low, unsold_days=unsold_days
    )
    totals = levels.aggregate(
        total_quantity=Sum("quantity"), total_value=Sum(_value(decimals)), row_count=Count("id")
    )
    page = levels.filter(_after(after)) if after is not None else levels
    found = _rows(page, tenant=tenant, decimals=decimals, language=language)
    rows = [_row(values) for values in (found if limit is None else found[: limit + 1])]
    more = limit is not None and len(rows) > limit
    rows = rows[:limit] if limit is not None else rows
    cents = Decimal(1).scaleb(-decimals)
    # Already a sum of rounded values; quantizing only fixes its form where the database's SUM
    # loses the decimals (SQLite, the embedded default, answered "380" for 380.00).
    total_value = (totals["total_value"] or Decimal(0)).quantize(cents)
    return StockReport(
        currency=tenant.currency,
        totals=StockTotals(
            quantity=totals["total_quantity"] if totals["total_quantity"] is not None else ZERO_QUANTITY,
            value=total_value,
            row_count=totals["row_count"],
        ),
        rows=rows,
        next_after=rows[-1].key if more else None,
    )


STOCK_COLUMNS = (
    text("branch_code"),
    text("branch_name"),
    text("sku"),
    text("name"),
    text("category"),
    number("quantity"),
    number("average_cost"),
    number("value"),
    number("reorder_level"),
    text("low"),
    text("last_sold_at"),
)


def stock_report_table(
    *,
    tenant: Tenant,
    branch_ids: Sequence[uuid.UUID] | None,
    category_id: uuid.UUID | None = None,
    low: bool = False,
    unsold_days: int | None = None,
    language: str | None = None,
) -> Table:
    """Every matching row as a table (CSV, exports, the back office), streamed from the database.

    The filters are checked (and may raise) when this is called; the rows are read as the table
    is consumed, in chunks, so a chain's whole stock never sits in memory. No totals row: a
    spreadsheet sums the columns, and the rows add up to the JSON totals exactly.
    """
    decimals = currency_decimal_places(tenant.currency)
    levels = _levels(
        tenant=tenant, branch_ids=branch_ids, category_id=category_id, low=low, unsold_days=unsold_days
    )
    found = _rows(levels, tenant=tenant, decimals=decimals, language=language)
    return Table(columns=STOCK_COLUMNS, rows=_table_rows(found, tenant))


def _table_rows(found: Any, tenant: Tenant) -> Iterator[list[Any]]:
    # A streamed response reads these after its view has left the request's tenant scope.
    with tenant_scope(tenant.pk):
        yield from (_cells(_row(values)) for values in found.iterator(chunk_size=2000))


def _cells(row: StockRow) -> list[Any]:
    return [
        row.branch_code,
        row.branch_name,
        row.sku,
        row.name,
        row.category_name,
        row.quantity,
        row.average_cost,
        row.value,
        row.reorder_level,
        "true" if row.low else "false",
        row.last_sold_at.isoformat() if row.last_sold_at else None,
    ]
