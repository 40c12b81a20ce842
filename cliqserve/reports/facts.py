"""Report figures computed from the sales rows themselves, per branch, business day,
dimension and key: what a rollup row holds, and what a report reads for the days whose
rollups are not yet current (ADR 0007).

The definitions are the contract's (API_CONTRACT.md, "Reports and exports"), all without tax:
- a sale line adds `gross_sales` (price x quantity before discount, an inclusive price net of
  its tax), `discounts` (likewise net of tax), `tax`, `cogs` = captured unit cost x quantity
  and `quantity`; gross_sales - discounts is exactly the line's net amount;
- a refund line adds `refunds` (the refunded amount net of tax), takes its tax back, takes its
  cost back only when the goods were restocked, and subtracts its quantity;
- a refund counts on its own business day, under its own payment methods and its sale's
  branch, device, cashier, product and category; voided sales count nowhere;
- each amount is rounded to the currency per line, so every sum is exact and the rows of any
  grouping add up to its totals to the cent.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from cliqserve.core.money import quantize_money
from cliqserve.sales.models import Payment, PaymentMethod, RefundLine, RefundPayment, Sale, SaleLine
from cliqserve.tenants.business_days import business_day_bounds, business_day_of, local_hour
from cliqserve.tenants.models import Branch

from .models import Dimension

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant

ZERO = Decimal(0)
HUNDRED = Decimal(100)
MONEY_FIELDS = ("gross_sales", "discounts", "refunds", "tax", "cogs")
NO_PAYMENT = ""  # the payment-method key of a sale that took no money (a fully discounted one)
METHOD_ORDER = {method: index for index, method in enumerate(PaymentMethod.values)}

SliceKey = tuple[uuid.UUID, date]  # (branch id, business day)
CellKey = tuple[uuid.UUID, date, str, str]  # (branch id, business day, dimension, key)


@dataclass(slots=True)
class Figures:
    sale_count: int = 0
    quantity: Decimal = ZERO
    gross_sales: Decimal = ZERO
    discounts: Decimal = ZERO
    refunds: Decimal = ZERO
    tax: Decimal = ZERO
    cogs: Decimal = ZERO

    def add(self, other: Figures) -> None:
        self.sale_count += other.sale_count
        self.quantity += other.quantity
        self.gross_sales += other.gross_sales
        self.discounts += other.discounts
        self.refunds += other.refunds
        self.tax += other.tax
        self.cogs += other.cogs

    def negated(self) -> Figures:
        return Figures(*(-getattr(self, item.name) for item in fields(self)))

    def is_zero(self) -> bool:
        return not any(getattr(self, item.name) for item in fields(self))

    @property
    def net_sales(self) -> Decimal:
        return self.gross_sales - self.discounts - self.refunds

    @property
    def gross_margin(self) -> Decimal:
        return self.net_sales - self.cogs

    @property
    def margin_percent(self) -> Decimal | None:
        if not self.net_sales:
            return None
        return (HUNDRED * self.gross_margin / self.net_sales).quantize(Decimal("0.01"))

    def as_dict(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


def total_of(items: Iterable[Figures]) -> Figures:
    total = Figures()
    for item in items:
        total.add(item)
    return total


@dataclass(frozen=True)
class DayCut:
    """How one tenant cuts business days: its day's end and each branch's time zone."""

    ends_at: time
    zones: dict[uuid.UUID, str]

    def day_of(self, branch_id: uuid.UUID, moment: datetime) -> date:
        return business_day_of(moment, timezone_name=self.zones[branch_id], ends_at=self.ends_at)

    def hour_of(self, branch_id: uuid.UUID, moment: datetime) -> int:
        return local_hour(moment, timezone_name=self.zones[branch_id])

    def bounds(self, branch_id: uuid.UUID, first: date, last: date) -> tuple[datetime, datetime]:
        start, _ = business_day_bounds(first, timezone_name=self.zones[branch_id], ends_at=self.ends_at)
        _, end = business_day_bounds(last, timezone_name=self.zones[branch_id], ends_at=self.ends_at)
        return start, end


def day_cut(*, tenant: Tenant) -> DayCut:
    zones = dict(Branch.objects.filter(tenant=tenant).values_list("id", "timezone"))
    return DayCut(ends_at=tenant.business_day_ends_at, zones=zones)


def day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days: [d1..d3], [d7..d7]."""
    runs: list[list[date]] = []
    for day in sorted(set(days)):
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


def time_window(*, tenant: Tenant, cut: DayCut, slices: Collection[SliceKey], branch: str, moment: str) -> Q:
    """Rows whose `branch` and `moment` fall in the slices' days: one range per run of days.

    Each range also names the tenant of the row holding `branch` (`sale__branch_id` gives
    `sale__tenant_id`): the index (tenant, branch, sold_at) then serves every range of the OR
    (a bitmap OR); without it PostgreSQL scanned every sale of the database, 0.2 s per query
    with a million sale lines (bench/README.md)."""
    owner = {branch.removesuffix("branch_id") + "tenant_id": tenant.pk}
    days_by_branch: dict[uuid.UUID, list[date]] = defaultdict(list)
    for branch_id, day in slices:
        days_by_branch[branch_id].append(day)
    window = Q(pk__in=[])
    for branch_id, days in days_by_branch.items():
        for first, last in day_runs(days):
            start, end = cut.bounds(branch_id, first, last)
            window |= Q(**owner, **{branch: branch_id, f"{moment}__gte": start, f"{moment}__lt": end})
    return window


# --- One sale or refund ---------------------------------------------------------------------------


@dataclass
class _Ticket:
    """A sale or a refund being summed: where it counts and what its lines add."""

    branch_id: uuid.UUID
    day: date
    hour: int
    device_id: uuid.UUID | None  # None when no device or cashier dimension was asked for
    cashier_id: uuid.UUID | None
    counts_as_sale: bool
    total: Figures = field(default_factory=Figures)
    products: dict[uuid.UUID, Figures] = field(default_factory=lambda: defaultdict(Figures))
    categories: dict[uuid.UUID | None, Figures] = field(default_factory=lambda: defaultdict(Figures))
    tendered: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def add_line(
        self, *, product_id: uuid.UUID | None, category_id: uuid.UUID | None, figures: Figures
    ) -> None:
        self.total.add(figures)
        if product_id is not None:
            self.products[product_id].add(figures)
        self.categories[category_id].add(figures)

    def cells(self, currency: str, dimensions: Collection[str]) -> Iterator[tuple[str, str, Figures]]:
        """(dimension, key, figures) of the `dimensions` asked for: one row per dimension, one
        per distinct product, category and payment method; a sale counts once in each."""
        count = int(self.counts_as_sale)
        whole = _counted(self.total, count)
        singles: dict[str, str] = {
            Dimension.DAY: "",
            Dimension.HOUR: f"{self.hour:02d}",
            Dimension.DEVICE: str(self.device_id),
            Dimension.CASHIER: str(self.cashier_id),
        }
        for dimension, key in singles.items():
            if dimension in dimensions:
                yield dimension, key, whole
        parts: dict[str, Callable[[], dict[str, Figures]]] = {
            Dimension.PRODUCT: lambda: {str(key): figures for key, figures in self.products.items()},
            Dimension.CATEGORY: lambda: {str(key or ""): figures for key, figures in self.categories.items()},
            Dimension.PAYMENT_METHOD: lambda: allocate(self.total, self.tendered, currency),
        }
        for grouped, split in parts.items():
            if grouped in dimensions:
                for key, figures in split().items():
                    yield grouped, key, _counted(figures, count)


def _counted(figures: Figures, sale_count: int) -> Figures:
    return Figures(sale_count, *(getattr(figures, name) for name in ("quantity", *MONEY_FIELDS)))


def allocate(total: Figures, tendered: dict[str, Decimal], currency: str) -> dict[str, Figures]:
    """Split a ticket's figures over its payment methods in proportion to what each took; the
    rounding remainder (and the quantity) goes to the largest, so the parts add up exactly."""
    shares = {method: amount for method, amount in tendered.items() if amount > 0}
    if not shares:
        return {NO_PAYMENT: _counted(total, 0)}
    whole = sum(shares.values())
    largest = max(shares, key=lambda method: (shares[method], -METHOD_ORDER.get(method, 0)))
    parts = {method: Figures() for method in shares}
    parts[largest].quantity = total.quantity
    for name in MONEY_FIELDS:
        value: Decimal = getattr(total, name)
        for method, share in shares.items():
            setattr(parts[method], name, quantize_money(value * share / whole, currency))
        remainder = value - sum(getattr(part, name) for part in parts.values())
        setattr(parts[largest], name, getattr(parts[largest], name) + remainder)
    return parts


def sale_line_figures(line: dict[str, Any], currency: str) -> Figures:
    discounts = line["discount"]
    if line["tax_inclusive"] and line["tax_rate"]:
        # The shelf discount holds tax too; report it net of tax, like the price.
        discounts = quantize_money(discounts * HUNDRED / (HUNDRED + line["tax_rate"]), currency)
    return Figures(
        quantity=line["quantity"],
        gross_sales=line["net"] + discounts,
        discounts=discounts,
        tax=line["tax"],
        cogs=quantize_money(line["unit_cost"] * line["quantity"], currency),
    )


def refund_line_figures(line: dict[str, Any], currency: str) -> Figures:
    cogs = quantize_money(line["unit_cost"] * line["quantity"], currency) if line["restock"] else ZERO
    return Figures(
        quantity=-line["quantity"], refunds=line["total"] - line["tax"], tax=-line["tax"], cogs=-cogs
    )


# --- Many at once ---------------------------------------------------------------------------------


SALE_LINE_COLUMNS = {
    "ticket": "sale_id",
    "branch": "sale__branch_id",
    "at": "sale__sold_at",
    "device": "sale__device_id",
    "cashier": "sale__cashier_id",
    "product": "product_id",
    "category": "category_id",
    "quantity": "quantity",
    "discount": "discount",
    "net": "net",
    "tax": "tax",
    "tax_rate": "tax_rate",
    "tax_inclusive": "tax_inclusive",
    "unit_cost": "unit_cost",
}
REFUND_LINE_COLUMNS = {
    "ticket": "refund_id",
    "branch": "refund__sale__branch_id",
    "at": "refund__created_at",
    "device": "refund__sale__device_id",
    "cashier": "refund__sale__cashier_id",
    "product": "sale_line__product_id",
    "category": "sale_line__category_id",
    "quantity": "quantity",
    "total": "total",
    "tax": "tax",
    "unit_cost": "unit_cost",
    "restock": "refund__restock",
}


def compute_cells(
    *,
    tenant: Tenant,
    cut: DayCut,
    slices: Collection[SliceKey],
    dimensions: Collection[str] = frozenset(Dimension.values),
) -> dict[CellKey, Figures]:
    """The rollup cells of `slices` in `dimensions` (default all), from the sales and refunds
    rows (six queries; four when no payment-method split is asked for)."""
    cells: dict[CellKey, Figures] = defaultdict(Figures)
    if not slices:
        return cells
    wanted = set(slices)
    currency = tenant.currency
    # Each window is an OR of index ranges, built once for the sale rows and once for the refunds'.
    sale_window = time_window(
        tenant=tenant, cut=cut, slices=wanted, branch="sale__branch_id", moment="sale__sold_at"
    )
    refund_window = time_window(
        tenant=tenant, cut=cut, slices=wanted, branch="refund__sale__branch_id", moment="refund__created_at"
    )
    sales = _tickets(
        lines=SaleLine.objects.filter(tenant=tenant)
        .filter(sale_window)
        .exclude(sale__status=Sale.Status.VOIDED),
        columns=_needed(SALE_LINE_COLUMNS, dimensions),
        cut=cut,
        wanted=wanted,
        figures=lambda line: sale_line_figures(line, currency),
        counts_as_sale=True,
    )
    split_by_method = Dimension.PAYMENT_METHOD in dimensions
    if split_by_method:
        _add_tendered(sales, _sale_payments(tenant=tenant, window=sale_window))
    refunds = _tickets(
        lines=RefundLine.objects.filter(tenant=tenant).filter(refund_window),
        columns=_needed(REFUND_LINE_COLUMNS, dimensions),
        cut=cut,
        wanted=wanted,
        figures=lambda line: refund_line_figures(line, currency),
        counts_as_sale=False,
    )
    if split_by_method:
        refund_payments = RefundPayment.objects.filter(tenant=tenant).filter(refund_window)
        _add_tendered(refunds, refund_payments.order_by().values_list("refund_id", "method", "amount"))
    for ticket in (*sales.values(), *refunds.values()):
        for dimension, key, figures in ticket.cells(currency, dimensions):
            cells[(ticket.branch_id, ticket.day, dimension, key)].add(figures)
    return cells


# The columns only some dimensions read: a report grouped by month needs none of them.
OPTIONAL_COLUMNS = {
    "device": Dimension.DEVICE,
    "cashier": Dimension.CASHIER,
    "product": Dimension.PRODUCT,
    "category": Dimension.CATEGORY,
}


def _needed(columns: dict[str, str], dimensions: Collection[str]) -> dict[str, str]:
    return {
        name: column
        for name, column in columns.items()
        if name not in OPTIONAL_COLUMNS or OPTIONAL_COLUMNS[name] in dimensions
    }


def _tickets(
    *,
    lines: Any,
    columns: dict[str, str],
    cut: DayCut,
    wanted: set[SliceKey],
    figures: Callable[[dict[str, Any]], Figures],
    counts_as_sale: bool,
) -> dict[uuid.UUID, _Ticket]:
    tickets: dict[uuid.UUID, _Ticket | None] = {}
    names = list(columns)
    for values in lines.order_by().values_list(*columns.values()):
        line = dict(zip(names, values, strict=True))
        ticket_id = line["ticket"]
        if ticket_id not in tickets:
            tickets[ticket_id] = _ticket_for(line, cut=cut, wanted=wanted, counts_as_sale=counts_as_sale)
        ticket = tickets[ticket_id]
        if ticket is not None:
            ticket.add_line(
                product_id=line.get("product"), category_id=line.get("category"), figures=figures(line)
            )
    return {ticket_id: ticket for ticket_id, ticket in tickets.items() if ticket is not None}


def _ticket_for(
    line: dict[str, Any], *, cut: DayCut, wanted: set[SliceKey], counts_as_sale: bool
) -> _Ticket | None:
    """The ticket a line belongs to, or None when its day is not one of the wanted slices
    (a time window spans whole runs of days, in UTC; the day decides)."""
    branch_id, moment = line["branch"], line["at"]
    day = cut.day_of(branch_id, moment)
    if (branch_id, day) not in wanted:
        return None
    return _Ticket(
        branch_id=branch_id,
        day=day,
        hour=cut.hour_of(branch_id, moment),
        device_id=line.get("device"),
        cashier_id=line.get("cashier"),
        counts_as_sale=counts_as_sale,
    )


def _sale_payments(*, tenant: Tenant, window: Q) -> Iterator[tuple[Any, str, Decimal]]:
    """(sale id, method, amount) with the change given back taken off the cash: what each
    method really took, which is what a sale's figures are split by."""
    payments = (
        Payment.objects.filter(tenant=tenant)
        .filter(window)
        .exclude(sale__status=Sale.Status.VOIDED)
        .order_by()
        .values_list("sale_id", "method", "amount", "sale__change_due")
    )
    change_taken: set[uuid.UUID] = set()
    for sale_id, method, amount, change_due in payments:
        if method == PaymentMethod.CASH and sale_id not in change_taken:
            change_taken.add(sale_id)
            amount -= change_due
        yield sale_id, method, amount


def _add_tendered(tickets: dict[uuid.UUID, _Ticket], payments: Iterable[tuple[Any, str, Decimal]]) -> None:
    for ticket_id, method, amount in payments:
        ticket = tickets.get(ticket_id)
        if ticket is not None:
            ticket.tendered[method] += amount
