"""The sales report: figures over business days, grouped by one dimension (ADR 0007, 0008).

Exact and current at once: the days whose rollups are current are read from the rollups
(whole months from the monthly ones, other days from the daily ones), the days the sales
journal lists as changed since are computed from the sales rows (or taken from the cache
that keys them by their journal rows, tail.py), and the two are added. The journal is read
first and its days are excluded from the rollup read by name, so a day is counted once even
if the rollup writer finishes it in between.
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

from . import sql
from .facts import MONEY_FIELDS, CellKey, Figures, SliceKey, total_of
from .models import Dimension, MonthlySalesRollup, SalesRollup
from .tabular import Table, number, text
from .tail import journal_by_slice, raw_tail

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
    reports = sales_reports(
        tenant=tenant, branch_ids=branch_ids, date_from=date_from, date_to=date_to, group_bys=[group_by]
    )
    return reports[group_by]


def sales_reports(
    *,
    tenant: Tenant,
    branch_ids: Sequence[uuid.UUID] | None,
    date_from: date,
    date_to: date,
    group_bys: Sequence[str],
) -> dict[str, SalesReport]:
    """Several groupings of one period at once (a dashboard): the journal is read and its days
    are computed from the sales rows once for all of them."""
    with sql.custom_plans():
        reading = _Reading.of(tenant=tenant, branch_ids=branch_ids, date_from=date_from, date_to=date_to)
        return _reports(reading, group_bys=group_bys)


def _reports(reading: _Reading, *, group_bys: Sequence[str]) -> dict[str, SalesReport]:
    dimensions = {DIMENSION_OF[group_by] for group_by in group_bys}
    # The raw tail: only the groupings' dimensions and the whole day (for distinct sales).
    tail = raw_tail(tenant=reading.tenant, journal=reading.journal, dimensions={*dimensions, Dimension.DAY})
    rolled = {group_by: _rolled_up(reading, group_by) for group_by in group_bys}
    whole_days = next(
        (
            total_of(groups.values())
            for group_by, groups in rolled.items()
            if DIMENSION_OF[group_by] == Dimension.DAY
        ),
        None,
    )
    day_total = whole_days if whole_days is not None else _rolled_up_total(reading)
    for (_branch_id, _day, dimension, _key), figures in tail.items():
        if dimension == Dimension.DAY:
            day_total.add(figures)
    return {
        group_by: _report(
            reading, group_by=group_by, groups=groups, tail=tail, sale_count=day_total.sale_count
        )
        for group_by, groups in rolled.items()
    }


def _report(
    reading: _Reading,
    *,
    group_by: str,
    groups: dict[str, Figures],
    tail: dict[CellKey, Figures],
    sale_count: int,
) -> SalesReport:
    dimension = DIMENSION_OF[group_by]
    for (branch_id, day, cell_dimension, key), figures in tail.items():
        if cell_dimension == dimension:
            groups[_group_key(group_by, branch_id=branch_id, day=day, key=key)].add(figures)
    for key in _time_keys(group_by, reading.date_from, reading.date_to):
        groups.setdefault(key, Figures())
    totals = total_of(groups.values())
    totals.sale_count = sale_count  # distinct sales, also when a sale spans rows
    labels = _labels(tenant=reading.tenant, group_by=group_by, keys=groups)
    rows = [SalesRow(key=key, label=labels.get(key, key), figures=figures) for key, figures in groups.items()]
    return SalesReport(
        group_by=group_by,
        date_from=reading.date_from,
        date_to=reading.date_to,
        currency=reading.tenant.currency,
        rows=_ordered(rows, group_by),
        totals=totals,
    )


@dataclass(frozen=True)
class _Reading:
    """Which rollup rows a report reads: each whole month of the period from the monthly
    rollups, the other days from the daily ones, and no day of the journal (`stale`) from
    either. A branch's month with a journal day in it is read day by day, minus that day."""

    tenant: Tenant
    branch_ids: Sequence[uuid.UUID] | None
    date_from: date
    date_to: date
    journal: dict[SliceKey, set[uuid.UUID]]  # the stale branch-days and their journal rows
    months: list[date]  # the first days of the whole months inside the period

    @classmethod
    def of(
        cls, *, tenant: Tenant, branch_ids: Sequence[uuid.UUID] | None, date_from: date, date_to: date
    ) -> _Reading:
        journal = _journal(tenant=tenant, branch_ids=branch_ids, date_from=date_from, date_to=date_to)
        return cls(tenant, branch_ids, date_from, date_to, journal, _whole_months(date_from, date_to))

    @property
    def stale(self) -> set[SliceKey]:
        return set(self.journal)

    def monthly(self, dimension: str) -> Any:
        rows = MonthlySalesRollup.objects.filter(
            tenant=self.tenant, dimension=dimension, month__in=self.months
        )
        if self.branch_ids is not None:
            rows = rows.filter(branch_id__in=self.branch_ids)
        for branch_id, months in _by_branch(self._stale_months()).items():
            rows = rows.exclude(Q(branch_id=branch_id, month__in=months))
        return rows

    def daily(self, dimension: str, *, whole_months: bool) -> Any:
        """The daily rows to read: every day of the period, or (`whole_months`: the monthly
        rows are read too) the days outside the months the monthly rows answer."""
        rows = SalesRollup.objects.filter(
            tenant=self.tenant, dimension=dimension, business_day__range=(self.date_from, self.date_to)
        )
        if self.branch_ids is not None:
            rows = rows.filter(branch_id__in=self.branch_ids)
        if whole_months and self.months:
            outside = Q(business_day__lt=self.months[0]) | Q(business_day__gt=_month_end(self.months[-1]))
            for branch_id, month in self._stale_months():
                outside |= Q(branch_id=branch_id, business_day__range=(month, _month_end(month)))
            rows = rows.filter(outside)
        for branch_id, days in _by_branch(self.stale).items():
            rows = rows.exclude(Q(branch_id=branch_id, business_day__in=days))
        return rows

    def _stale_months(self) -> set[SliceKey]:
        """(branch, month) of the whole months that have a journal day in that branch."""
        months = set(self.months)
        return {
            (branch_id, day.replace(day=1)) for branch_id, day in self.stale if day.replace(day=1) in months
        }


def _whole_months(date_from: date, date_to: date) -> list[date]:
    month = date_from if date_from.day == 1 else _month_end(date_from) + timedelta(days=1)
    months = []
    while _month_end(month) <= date_to:
        months.append(month)
        month = _month_end(month) + timedelta(days=1)
    return months


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _by_branch(slices: Iterable[SliceKey]) -> dict[uuid.UUID, list[date]]:
    days_by_branch: dict[uuid.UUID, list[date]] = defaultdict(list)
    for branch_id, day in slices:
        days_by_branch[branch_id].append(day)
    return days_by_branch


def _journal(
    *, tenant: Tenant, branch_ids: Sequence[uuid.UUID] | None, date_from: date, date_to: date
) -> dict[SliceKey, set[uuid.UUID]]:
    changes = BusinessDayChange.objects.filter(tenant=tenant, business_day__range=(date_from, date_to))
    if branch_ids is not None:
        changes = changes.filter(branch_id__in=branch_ids)
    return journal_by_slice(list(changes.order_by().values_list("branch_id", "business_day", "id")))


def _rolled_up(reading: _Reading, group_by: str) -> dict[str, Figures]:
    """The grouping's rows summed from the rollups (the database adds up each source)."""
    dimension = DIMENSION_OF[group_by]
    groups: dict[str, Figures] = defaultdict(Figures)
    by_month = group_by not in ("day", "week") and bool(reading.months)
    sources = [(reading.daily(dimension, whole_months=by_month), "business_day")]
    if by_month:
        sources.append((reading.monthly(dimension), "month"))
    for rows, day_field in sources:
        group = {
            "day": F(day_field),
            "week": TruncWeek(day_field),
            "month": TruncMonth(day_field),
            "branch": F("branch_id"),
        }.get(group_by, F("key"))
        sums = (
            rows.annotate(group=group)
            .order_by()
            .values("group")
            .annotate(**{name: Sum(name) for name in SUMMED})
        )
        for row in sums:
            groups[_format_group(group_by, row.pop("group"))].add(Figures(**row))
    return groups


def _rolled_up_total(reading: _Reading) -> Figures:
    total = Figures()
    sources = [reading.daily(Dimension.DAY, whole_months=True)]
    if reading.months:
        sources.append(reading.monthly(Dimension.DAY))
    for rows in sources:
        sums = rows.aggregate(**{name: Sum(name) for name in SUMMED})
        total.add(Figures(**{name: value for name, value in sums.items() if value is not None}))
    return total


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
