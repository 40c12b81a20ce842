"""The sales report: figures over business days, grouped by one dimension (ADR 0007).

Exact and current at once: the days whose rollups are current are read from the rollups (a
few hundred rows for a year), the days the sales journal lists as changed since are computed
from the sales rows, and the two are added. The journal is read first and its days are
excluded from the rollup read by name, so a day is counted once even if the rollup writer
finishes it in between.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils.translation import gettext as _

from cliqserve.accounts.models import User
from cliqserve.catalog.models import Category, Product, ProductTranslation
from cliqserve.core.money import quantize_money
from cliqserve.sales.models import BusinessDayChange, PaymentMethod
from cliqserve.tenants.models import Branch, Device

from .facts import MONEY_FIELDS, Figures, SliceKey, compute_cells, day_cut, total_of
from .models import Dimension, SalesRollup
from .tabular import Table, number, text

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant

GROUP_BY = (
    "day",
    "week",
    "month",
    "hour",
    "branch",
    "device",
    "product",
    "category",
    "cashier",
    "payment_method",
)
TIME_GROUPS = frozenset({"day", "week", "month", "hour"})
# The rollup dimension each grouping reads: day, week, month and branch all read the whole day.
DIMENSION_OF = {
    "day": Dimension.DAY,
    "week": Dimension.DAY,
    "month": Dimension.DAY,
    "branch": Dimension.DAY,
    "hour": Dimension.HOUR,
    "device": Dimension.DEVICE,
    "cashier": Dimension.CASHIER,
    "product": Dimension.PRODUCT,
    "category": Dimension.CATEGORY,
    "payment_method": Dimension.PAYMENT_METHOD,
}
SUMMED = ("sale_count", "quantity", *MONEY_FIELDS)


@dataclass(frozen=True)
class SalesRow:
    key: str
    label: str
    figures: Figures


@dataclass(frozen=True)
class SalesReport:
    group_by: str
    date_from: date
    date_to: date
    currency: str
    rows: list[SalesRow]
    totals: Figures


def sales_report(
    *, tenant: Tenant, branch_ids: Sequence[uuid.UUID] | None, date_from: date, date_to: date, group_by: str
) -> SalesReport:
    """The report of `branch_ids` (None: every branch) from `date_from` to `date_to`, business
    days, inclusive. `totals.sale_count` counts distinct sales; the money of the rows adds up
    to the totals exactly."""
    dimension = DIMENSION_OF[group_by]
    stale = _stale_slices(tenant=tenant, branch_ids=branch_ids, date_from=date_from, date_to=date_to)
    groups: dict[str, Figures] = defaultdict(Figures)
    for key, figures in _rolled_up(
        tenant=tenant, branch_ids=branch_ids, dates=(date_from, date_to), stale=stale, group_by=group_by
    ):
        groups[key].add(figures)
    day_total = _rolled_up_total(
        tenant=tenant, branch_ids=branch_ids, dates=(date_from, date_to), stale=stale
    )
    # The raw tail: only this grouping's dimension and the whole day (for distinct sales).
    tail = compute_cells(
        tenant=tenant, cut=day_cut(tenant=tenant), slices=stale, dimensions={dimension, Dimension.DAY}
    )
    for (branch_id, day, cell_dimension, key), figures in tail.items():
        if cell_dimension == dimension:
            groups[_group_key(group_by, branch_id=branch_id, day=day, key=key)].add(figures)
        if cell_dimension == Dimension.DAY:
            day_total.add(figures)
    for key in _time_keys(group_by, date_from, date_to):
        groups.setdefault(key, Figures())
    totals = total_of(groups.values())
    totals.sale_count = day_total.sale_count  # distinct sales, also when a sale spans rows
    labels = _labels(tenant=tenant, group_by=group_by, keys=groups)
    rows = [SalesRow(key=key, label=labels.get(key, key), figures=figures) for key, figures in groups.items()]
    return SalesReport(
        group_by=group_by,
        date_from=date_from,
        date_to=date_to,
        currency=tenant.currency,
        rows=_ordered(rows, group_by),
        totals=totals,
    )


def _stale_slices(
    *, tenant: Tenant, branch_ids: Sequence[uuid.UUID] | None, date_from: date, date_to: date
) -> set[SliceKey]:
    changes = BusinessDayChange.objects.filter(tenant=tenant, business_day__range=(date_from, date_to))
    if branch_ids is not None:
        changes = changes.filter(branch_id__in=branch_ids)
    return set(changes.order_by().values_list("branch_id", "business_day").distinct())


def _rollups(
    *, tenant: Tenant, branch_ids: Sequence[uuid.UUID] | None, dates: tuple[date, date], stale: set[SliceKey]
) -> Any:
    rows = SalesRollup.objects.filter(tenant=tenant, business_day__range=dates)
    if branch_ids is not None:
        rows = rows.filter(branch_id__in=branch_ids)
    days_by_branch: dict[uuid.UUID, list[date]] = defaultdict(list)
    for branch_id, day in stale:
        days_by_branch[branch_id].append(day)
    for branch_id, days in days_by_branch.items():
        rows = rows.exclude(Q(branch_id=branch_id, business_day__in=days))
    return rows


def _rolled_up(
    *,
    tenant: Tenant,
    branch_ids: Sequence[uuid.UUID] | None,
    dates: tuple[date, date],
    stale: set[SliceKey],
    group_by: str,
) -> Iterable[tuple[str, Figures]]:
    group = {
        "day": F("business_day"),
        "week": TruncWeek("business_day"),
        "month": TruncMonth("business_day"),
        "branch": F("branch_id"),
    }.get(group_by, F("key"))
    rows = (
        _rollups(tenant=tenant, branch_ids=branch_ids, dates=dates, stale=stale)
        .filter(dimension=DIMENSION_OF[group_by])
        .annotate(group=group)
        .order_by()
        .values("group")
        .annotate(**{name: Sum(name) for name in SUMMED})
    )
    for row in rows:
        yield _format_group(group_by, row.pop("group")), Figures(**row)


def _rolled_up_total(
    *, tenant: Tenant, branch_ids: Sequence[uuid.UUID] | None, dates: tuple[date, date], stale: set[SliceKey]
) -> Figures:
    sums = (
        _rollups(tenant=tenant, branch_ids=branch_ids, dates=dates, stale=stale)
        .filter(dimension=Dimension.DAY)
        .aggregate(**{name: Sum(name) for name in SUMMED})
    )
    present: dict[str, Any] = {name: value for name, value in sums.items() if value is not None}
    return Figures(**present)


def _format_group(group_by: str, value: Any) -> str:
    if group_by == "month":
        return f"{value:%Y-%m}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _group_key(group_by: str, *, branch_id: uuid.UUID, day: date, key: str) -> str:
    if group_by == "day":
        return day.isoformat()
    if group_by == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if group_by == "month":
        return f"{day:%Y-%m}"
    if group_by == "branch":
        return str(branch_id)
    return key


def _time_keys(group_by: str, date_from: date, date_to: date) -> list[str]:
    """Every period of the range, so a chart shows the quiet days as zero."""
    if group_by == "hour":
        return [f"{hour:02d}" for hour in range(24)]
    if group_by not in TIME_GROUPS:
        return []
    days = (date_from + timedelta(days=offset) for offset in range((date_to - date_from).days + 1))
    return sorted({_group_key(group_by, branch_id=uuid.UUID(int=0), day=day, key="") for day in days})


def _ordered(rows: list[SalesRow], group_by: str) -> list[SalesRow]:
    if group_by in TIME_GROUPS:
        return sorted(rows, key=lambda row: row.key)
    return sorted(rows, key=lambda row: (-row.figures.net_sales, row.label, row.key))


# --- Labels -----------------------------------------------------------------------------------------


def _labels(*, tenant: Tenant, group_by: str, keys: Iterable[str]) -> dict[str, str]:
    """What each row is called: one query for the grouping's objects, none for periods (days
    and months are their own labels)."""
    keys = list(keys)
    if group_by in _PERIOD_LABELS:
        return {key: _PERIOD_LABELS[group_by](key) for key in keys}
    named = _NAMERS.get(group_by)
    if named is None:
        return {}
    return named(tenant, [uuid.UUID(key) for key in keys if key])


def _method_label(key: str) -> str:
    return str(dict(PaymentMethod.choices).get(key) or _("No payment"))


def _week_label(monday: date) -> str:
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _branch_names(tenant: Tenant, ids: list[uuid.UUID]) -> dict[str, str]:
    rows = Branch.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "code", "name")
    return {str(pk): f"{code} {name}" for pk, code, name in rows}


def _device_names(tenant: Tenant, ids: list[uuid.UUID]) -> dict[str, str]:
    rows = Device.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "code", "name")
    return {str(pk): f"{code} {name}" for pk, code, name in rows}


def _cashier_names(tenant: Tenant, ids: list[uuid.UUID]) -> dict[str, str]:
    rows = User.objects.filter(tenant=tenant, pk__in=ids).values_list(
        "pk", "first_name", "last_name", "email"
    )
    return {str(pk): f"{first} {last}".strip() or email for pk, first, last, email in rows}


def _product_names(tenant: Tenant, ids: list[uuid.UUID]) -> dict[str, str]:
    """ "SKU name", the name in the tenant's language when there is one (two queries)."""
    skus = dict(Product.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "sku"))
    names: dict[uuid.UUID, tuple[bool, str]] = {}
    translations = ProductTranslation.objects.filter(translation_tenant=tenant, master_id__in=ids)
    for product_id, language, name in translations.values_list("master_id", "language_code", "name"):
        preferred = language == tenant.default_language
        if product_id not in names or (preferred and not names[product_id][0]):
            names[product_id] = (preferred, name)
    return {str(pk): f"{sku} {names.get(pk, (False, ''))[1]}".strip() for pk, sku in skus.items()}


def _category_names(tenant: Tenant, ids: list[uuid.UUID]) -> dict[str, str]:
    return {"": _("No category")} | {
        str(pk): name
        for pk, name in Category.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "name")
    }


_PERIOD_LABELS = {
    "week": lambda key: _week_label(date.fromisoformat(key)),
    "hour": lambda key: f"{key}:00",
    "payment_method": _method_label,
}
_NAMERS = {
    "branch": _branch_names,
    "device": _device_names,
    "cashier": _cashier_names,
    "product": _product_names,
    "category": _category_names,
}


# --- As a table -------------------------------------------------------------------------------------

FIGURE_COLUMNS = (
    "sale_count",
    "quantity",
    "gross_sales",
    "discounts",
    "refunds",
    "net_sales",
    "tax",
    "cogs",
    "gross_margin",
    "margin_percent",
)


def figures_out(figures: Figures, currency: str) -> dict[str, Any]:
    """The figures as the API and every file show them: money in the currency's decimals."""
    money = {
        name: quantize_money(getattr(figures, name), currency)
        for name in (*MONEY_FIELDS, "net_sales", "gross_margin")
    }
    return {
        "sale_count": figures.sale_count,
        "quantity": figures.quantity,
        **money,
        "margin_percent": figures.margin_percent,
    }


def sales_report_table(report: SalesReport) -> Table:
    """One line per row, then a `totals` line (key "totals")."""

    def lines() -> Iterable[list[Any]]:
        for row in report.rows:
            figures = figures_out(row.figures, report.currency)
            yield [row.key, row.label, *(figures[name] for name in FIGURE_COLUMNS)]
        totals = figures_out(report.totals, report.currency)
        yield ["totals", _("Totals"), *(totals[name] for name in FIGURE_COLUMNS)]

    return Table(
        columns=[text("key"), text("label"), *(number(name) for name in FIGURE_COLUMNS)], rows=lines()
    )
