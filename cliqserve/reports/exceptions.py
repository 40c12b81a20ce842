"""The exceptions report: per person, what an owner checks first for staff fraud.

Over business days `date_from`..`date_to` (inclusive; each branch's days in its own time zone,
ending at the tenant's `business_day_ends_at`), one row per user with:

- `voids`: sales voided in the range (by the void's time), counted against who voided them
  (`voided_by`; a cashier voids only its own sales, so for cashiers it is also the seller).
  Amount: the voided sales' amounts without tax (total - tax).
- `refunds`: refunds made in the range, against the refund's actor. Amount: refunded amounts
  without tax, as the sales report's `refunds`.
- `discounts_over_limit`: lines of sales sold in the range whose `discount_percent` exceeds the
  tenant's `cashier_max_discount_percent` (as it is now), against the sale's cashier, whoever
  rang it up (a manager may give such discounts: the row shows who did). Amount: the discounts.
- `price_overrides`: lines sold in the range with a changed price, against the sale's cashier.
  Amount: the lines' amounts as sold (after discount, without tax). The catalog price at the
  time of sale is not captured on the line, and today's price would rewrite history when the
  catalog changes, so no "difference" is computed.
- `cash_variance`: shifts closed in the range with a non-zero variance, against the shift's
  cashier. Amount: the sum of their variances (counted - expected: negative is short);
  `absolute`: the sum of their absolute values (a short and an over drawer do not cancel out).
- `offline_needs_review`: sales sold in the range still flagged for review, against the sale's
  cashier. Amount: without tax.

Voided sales count in `voids` only. A refund's branch and day are its sale's branch and its own
time. Six queries whatever the number of people, branches or sales (branches, five
aggregates), plus one for the names when there is a row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum
from django.db.models.functions import Abs, Coalesce

from cliqserve.accounts.models import User
from cliqserve.core.money import quantize_money
from cliqserve.sales.models import Refund, Sale, SaleLine, Shift
from cliqserve.tenants.business_days import business_day_bounds
from cliqserve.tenants.models import Branch

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant

ZERO = Decimal(0)
TALLIES = ("voids", "refunds", "discounts_over_limit", "price_overrides", "offline_needs_review")
KINDS = (*TALLIES[:4], "cash_variance", TALLIES[4])


@dataclass
class Tally:
    count: int = 0
    amount: Decimal = ZERO

    def add(self, other: Tally) -> None:
        self.count += other.count
        self.amount += other.amount


@dataclass
class Variance(Tally):
    absolute: Decimal = ZERO

    def add(self, other: Tally) -> None:
        super().add(other)
        self.absolute += getattr(other, "absolute", ZERO)


@dataclass
class Exceptions:
    voids: Tally = field(default_factory=Tally)
    refunds: Tally = field(default_factory=Tally)
    discounts_over_limit: Tally = field(default_factory=Tally)
    price_overrides: Tally = field(default_factory=Tally)
    cash_variance: Variance = field(default_factory=Variance)
    offline_needs_review: Tally = field(default_factory=Tally)

    def tally(self, kind: str) -> Tally:
        found: Tally = getattr(self, kind)
        return found

    def add(self, other: Exceptions) -> None:
        for kind in KINDS:
            self.tally(kind).add(other.tally(kind))


@dataclass(frozen=True)
class ExceptionRow:
    cashier: uuid.UUID
    label: str
    figures: Exceptions


@dataclass(frozen=True)
class ExceptionsReport:
    date_from: date
    date_to: date
    currency: str
    rows: list[ExceptionRow]
    totals: Exceptions


def exceptions_report(
    *, tenant: Tenant, branch_ids: list[uuid.UUID] | None, date_from: date, date_to: date
) -> ExceptionsReport:
    """The report over the tenant's branches `branch_ids` (None: every branch)."""
    windows = _windows(tenant=tenant, branch_ids=branch_ids, date_from=date_from, date_to=date_to)
    people: dict[uuid.UUID, Exceptions] = {}
    if windows:
        limit = tenant.cashier_max_discount_percent
        for kind, person, tally in _tallies(tenant=tenant, windows=windows, limit=limit):
            people.setdefault(person, Exceptions()).tally(kind).add(tally)
    labels = _labels(tenant=tenant, ids=people)
    rows = [
        ExceptionRow(cashier=pk, label=labels.get(pk, str(pk)), figures=_money(f, tenant))
        for pk, f in people.items()
    ]
    rows.sort(key=lambda row: (row.label.lower(), str(row.cashier)))
    totals = Exceptions()
    for row in rows:
        totals.add(row.figures)
    return ExceptionsReport(
        date_from=date_from, date_to=date_to, currency=tenant.currency, rows=rows, totals=totals
    )


# --- Time windows -----------------------------------------------------------------------------------

Windows = dict[uuid.UUID, tuple[datetime, datetime]]


def _windows(
    *, tenant: Tenant, branch_ids: list[uuid.UUID] | None, date_from: date, date_to: date
) -> Windows:
    """[start, end) of the range in each branch's time zone (one query)."""
    branches = Branch.objects.filter(tenant=tenant)
    if branch_ids is not None:
        branches = branches.filter(pk__in=branch_ids)
    ends_at = tenant.business_day_ends_at
    windows: Windows = {}
    for pk, zone in branches.values_list("pk", "timezone"):
        start, _ = business_day_bounds(date_from, timezone_name=zone, ends_at=ends_at)
        _, end = business_day_bounds(date_to, timezone_name=zone, ends_at=ends_at)
        windows[pk] = (start, end)
    return windows


def _within(windows: Windows, *, branch: str, moment: str) -> Q:
    """Rows of one of the branches whose `moment` falls in that branch's window."""
    condition = Q(pk__in=[])
    for pk, (start, end) in windows.items():
        condition |= Q(**{branch: pk, f"{moment}__gte": start, f"{moment}__lt": end})
    return condition


# --- The aggregates ---------------------------------------------------------------------------------

Tallied = Iterable[tuple[str, uuid.UUID, Tally]]


def _amount(expression: Any, **extra: Any) -> Coalesce:
    return Coalesce(Sum(expression, **extra), ZERO, output_field=DecimalField())


def _tallies(*, tenant: Tenant, windows: Windows, limit: Decimal) -> Tallied:
    yield from _voids(tenant=tenant, windows=windows)
    yield from _refunds(tenant=tenant, windows=windows)
    yield from _lines(tenant=tenant, windows=windows, limit=limit)
    yield from _variances(tenant=tenant, windows=windows)
    yield from _unreviewed(tenant=tenant, windows=windows)


def _counted(rows: QuerySet[Any, dict[str, Any]], kind: str, person: str) -> Tallied:
    for row in rows:
        yield kind, row[person], Tally(count=row["count"], amount=row["amount"])


def _voids(*, tenant: Tenant, windows: Windows) -> Tallied:
    voided = Sale.objects.filter(tenant=tenant, status=Sale.Status.VOIDED).filter(
        _within(windows, branch="branch_id", moment="voided_at")
    )
    rows = (
        voided.annotate(person=Coalesce("voided_by_id", "cashier_id"))
        .values("person")
        .annotate(count=Count("id"), amount=_amount(F("total") - F("tax_total")))
        .order_by()
    )
    return _counted(rows, "voids", "person")


def _refunds(*, tenant: Tenant, windows: Windows) -> Tallied:
    refunds = Refund.objects.filter(tenant=tenant).filter(
        _within(windows, branch="sale__branch_id", moment="created_at")
    )
    rows = (
        refunds.values("actor_id")
        .annotate(count=Count("id"), amount=_amount(F("total") - F("tax_total")))
        .order_by()
    )
    return _counted(rows, "refunds", "actor_id")


def _lines(*, tenant: Tenant, windows: Windows, limit: Decimal) -> Tallied:
    """Discounts over the limit and price overrides: one pass over the range's sale lines."""
    over, overridden = Q(discount_percent__gt=limit), Q(price_overridden=True)
    lines = (
        SaleLine.objects.filter(tenant=tenant, sale__tenant=tenant)
        .filter(over | overridden)
        .exclude(sale__status=Sale.Status.VOIDED)
        .filter(_within(windows, branch="sale__branch_id", moment="sale__sold_at"))
    )
    rows = (
        lines.values("sale__cashier_id")
        .annotate(
            over_count=Count("id", filter=over),
            over_amount=_amount("discount", filter=over),
            override_count=Count("id", filter=overridden),
            override_amount=_amount("net", filter=overridden),
        )
        .order_by()
    )
    for row in rows:
        person = row["sale__cashier_id"]
        yield "discounts_over_limit", person, Tally(row["over_count"], row["over_amount"])
        yield "price_overrides", person, Tally(row["override_count"], row["override_amount"])


def _variances(*, tenant: Tenant, windows: Windows) -> Tallied:
    shifts = (
        Shift.objects.filter(tenant=tenant, status=Shift.Status.CLOSED, variance__isnull=False)
        .exclude(variance=0)
        .filter(_within(windows, branch="branch_id", moment="closed_at"))
    )
    rows = (
        shifts.values("cashier_id")
        .annotate(count=Count("id"), amount=_amount("variance"), absolute=_amount(Abs("variance")))
        .order_by()
    )
    for row in rows:
        yield "cash_variance", row["cashier_id"], Variance(row["count"], row["amount"], row["absolute"])


def _unreviewed(*, tenant: Tenant, windows: Windows) -> Tallied:
    flagged = (
        Sale.objects.filter(tenant=tenant, needs_review=True)
        .exclude(status=Sale.Status.VOIDED)
        .filter(_within(windows, branch="branch_id", moment="sold_at"))
    )
    rows = (
        flagged.values("cashier_id")
        .annotate(count=Count("id"), amount=_amount(F("total") - F("tax_total")))
        .order_by()
    )
    return _counted(rows, "offline_needs_review", "cashier_id")


# --- Rows -------------------------------------------------------------------------------------------


def _money(figures: Exceptions, tenant: Tenant) -> Exceptions:
    """Amounts in the currency's places (stored amounts already are; sums of them stay so)."""
    for kind in KINDS:
        tally = figures.tally(kind)
        tally.amount = quantize_money(tally.amount, tenant.currency)
        if isinstance(tally, Variance):
            tally.absolute = quantize_money(tally.absolute, tenant.currency)
    return figures


def _labels(*, tenant: Tenant, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each person's full name, else email (one query, none without rows)."""
    ids = list(ids)
    if not ids:
        return {}
    rows = User.objects.filter(tenant=tenant, pk__in=ids).values_list(
        "pk", "first_name", "last_name", "email"
    )
    return {pk: f"{first} {last}".strip() or email for pk, first, last, email in rows}
