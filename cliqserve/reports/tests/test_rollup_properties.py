"""Property: whatever was sold, refunded and voided, in any time zone and with any end of the
business day, and however far the rollups have caught up, the sales report equals a direct
computation over the raw sale and refund lines, written here from the contract's definitions."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cliqserve.core.money import quantize_money
from cliqserve.core.tenancy import tenant_scope
from cliqserve.reports.models import MonthlySalesRollup, SalesRollup
from cliqserve.reports.selectors import sales_report
from cliqserve.reports.services import rollups_refresh
from cliqserve.sales.models import RefundLine, Sale, SaleLine
from cliqserve.sales.services import refunds, selling
from cliqserve.sales.tests.helpers import open_shift, stocked
from cliqserve.tenants.business_days import business_day_of, local_hour
from conftest import World
from tests.factories import CategoryFactory, TaxRateFactory

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kathmandu", "Pacific/Apia"]
GROUPINGS = ["day", "week", "month", "hour", "product", "category", "cashier", "branch"]

sale_op = st.tuples(
    st.just("sale"),
    st.integers(min_value=0, max_value=4 * 24 * 60),  # minutes after START
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(1, 3), st.sampled_from([0, 5, 10])), min_size=1, max_size=3
    ),
    st.booleans(),  # split between card and cash
)
refund_op = st.tuples(st.just("refund"), st.integers(0, 30), st.integers(0, 3 * 24 * 60), st.booleans())
void_op = st.tuples(st.just("void"), st.integers(0, 30))
refresh_op = st.tuples(st.just("refresh"))
# A few days around START, or periods with whole months in them (read from the monthly rollups).
small_period = st.tuples(st.integers(-1, 3), st.integers(0, 7)).map(
    lambda span: (START.date() + timedelta(days=span[0]), START.date() + timedelta(days=sum(span)))
)
month_periods = st.sampled_from(
    [
        (date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 11, 1), date(2026, 12, 31)),
        (date(2026, 10, 20), date(2026, 12, 1)),
        (date(2026, 12, 1), date(2026, 12, 31)),
    ]
)
operations = st.lists(st.one_of(sale_op, sale_op, refund_op, void_op, refresh_op), min_size=1, max_size=12)


class Till:
    """Tenant A with three products (exclusive tax, inclusive tax, no tax) in two categories."""

    def __init__(self, world: World) -> None:
        tw = self.tw = world.a
        tw.tenant.cashier_max_discount_percent = Decimal(100)
        tw.tenant.save()
        food = CategoryFactory(tenant=tw.tenant, name="Food")
        drink = CategoryFactory(tenant=tw.tenant, name="Drink")
        exclusive = TaxRateFactory(tenant=tw.tenant, rate=Decimal("15.00"), inclusive=False)
        inclusive = TaxRateFactory(tenant=tw.tenant, rate=Decimal("7.70"), inclusive=True)
        self.products = [
            stocked(
                tw,
                "P-EX",
                quantity=500,
                unit_cost="3.3333",
                price=Decimal("9.99"),
                tax_rate=exclusive,
                category=food,
            ),
            stocked(
                tw,
                "P-IN",
                quantity=500,
                unit_cost="1.2345",
                price=Decimal("4.35"),
                tax_rate=inclusive,
                category=drink,
            ),
            stocked(tw, "P-0", quantity=500, unit_cost="0.50", price=Decimal("1.05")),
        ]

    def run(self, ops: list[Any]) -> None:
        tw = self.tw
        shift = open_shift(tw)
        sales: list[Sale] = []
        for op in ops:
            if op[0] == "sale":
                sales.append(self._sell(shift, op))
            elif op[0] == "refund" and sales:
                self._refund(sales[op[1] % len(sales)], op)
            elif op[0] == "void" and sales:
                self._void(sales[op[1] % len(sales)])
            elif op[0] == "refresh":
                rollups_refresh()

    def _sell(self, shift: Any, op: Any) -> Sale:
        _, minutes, lines, split = op
        line_inputs = [
            selling.LineInput(
                product_id=self.products[index].pk,
                quantity=Decimal(quantity),
                discount_percent=Decimal(discount),
            )
            for index, quantity, discount in lines
        ]
        with (
            time_machine.travel(START + timedelta(minutes=minutes), tick=False),
            tenant_scope(self.tw.tenant.pk),
        ):
            cart = selling.price_cart(
                tenant=self.tw.tenant, actor=self.tw.cashier, lines=line_inputs, enforce_limits=True
            )
            total = cart.sum_of("total")
            card = quantize_money(total / 3, "USD") if split and total > 1 else Decimal(0)
            payments = [selling.PaymentInput(method="cash", amount=total - card + Decimal("0.50"))]
            if card:
                payments.append(selling.PaymentInput(method="card", amount=card))
            return selling.sale_create(
                tenant=self.tw.tenant,
                actor=self.tw.cashier,
                shift_id=shift.pk,
                lines=line_inputs,
                payments=payments,
            )

    def _refund(self, sale: Sale, op: Any) -> None:
        _, _, minutes, restock = op
        with tenant_scope(self.tw.tenant.pk):
            sale.refresh_from_db()
            line = SaleLine.objects.filter(tenant=self.tw.tenant, sale=sale).order_by("position").first()
            if sale.status == Sale.Status.VOIDED or line is None or line.refunded_quantity >= line.quantity:
                return
            moment = max(sale.sold_at, START) + timedelta(minutes=minutes)
            with time_machine.travel(moment, tick=False):
                refunds.refund_create(
                    tenant=self.tw.tenant,
                    actor=self.tw.tenant_admin,
                    sale=sale,
                    lines=[refunds.RefundLineInput(sale_line_id=line.pk, quantity=Decimal(1))],
                    restock=restock,
                    payments=None,
                    reason="",
                )

    def _void(self, sale: Sale) -> None:
        with tenant_scope(self.tw.tenant.pk):
            sale.refresh_from_db()
            if sale.status == Sale.Status.COMPLETED:
                refunds.sale_void(tenant=self.tw.tenant, actor=self.tw.tenant_admin, sale=sale, reason="")


def direct(*, tenant: Any, date_from: date, date_to: date, group_by: str) -> dict[str, dict[str, Any]]:
    """The report computed line by line from the contract's definitions, nothing shared with
    the rollups but the business-day function."""
    zones: dict[Any, str] = {}
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(Decimal))
    sales_of: dict[str, set[uuid.UUID]] = defaultdict(set)
    currency = tenant.currency

    def place(branch: Any, moment: datetime) -> tuple[date, int]:
        zone = zones.setdefault(branch.pk, branch.timezone)
        return business_day_of(moment, timezone_name=zone, ends_at=tenant.business_day_ends_at), local_hour(
            moment, timezone_name=zone
        )

    def key_of(group: str, day: date, hour: int, sale: Sale, line: SaleLine) -> str:
        return {
            "day": day.isoformat(),
            "week": (day - timedelta(days=day.weekday())).isoformat(),
            "month": f"{day:%Y-%m}",
            "hour": f"{hour:02d}",
            "product": str(line.product_id),
            "category": str(line.category_id or ""),
            "cashier": str(sale.cashier_id),
            "branch": str(sale.branch_id),
        }[group]

    for line in (
        SaleLine.objects.filter(tenant=tenant)
        .exclude(sale__status=Sale.Status.VOIDED)
        .select_related("sale__branch")
    ):
        sale = line.sale
        day, hour = place(sale.branch, sale.sold_at)
        if not date_from <= day <= date_to:
            continue
        key = key_of(group_by, day, hour, sale, line)
        discount = line.discount
        if line.tax_inclusive:
            discount = quantize_money(discount * 100 / (100 + line.tax_rate), currency)
        # Net of tax before discount: what the customer's line came to, less its tax, plus the discount.
        rows[key]["gross_sales"] += line.total - line.tax + discount
        rows[key]["discounts"] += discount
        rows[key]["tax"] += line.tax
        rows[key]["cogs"] += quantize_money(line.unit_cost * line.quantity, currency)
        sales_of[key].add(sale.pk)
    for refund_line in RefundLine.objects.filter(tenant=tenant).select_related(
        "refund__sale__branch", "sale_line"
    ):
        refund, sale = refund_line.refund, refund_line.refund.sale
        day, hour = place(sale.branch, refund.created_at)
        if not date_from <= day <= date_to:
            continue
        key = key_of(group_by, day, hour, sale, refund_line.sale_line)
        rows[key]["refunds"] += refund_line.total - refund_line.tax
        rows[key]["tax"] -= refund_line.tax
        if refund.restock:
            rows[key]["cogs"] -= quantize_money(refund_line.unit_cost * refund_line.quantity, currency)
    for key, sales in sales_of.items():
        rows[key]["sale_count"] = len(sales)
    return rows


def reported(report: Any) -> dict[str, dict[str, Any]]:
    return {
        row.key: {
            "sale_count": row.figures.sale_count,
            **{
                name: getattr(row.figures, name)
                for name in ("gross_sales", "discounts", "refunds", "tax", "cogs")
            },
        }
        for row in report.rows
        if row.figures.sale_count
        or any(getattr(row.figures, name) for name in ("gross_sales", "refunds", "tax", "cogs"))
    }


def normalised(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    names = ("sale_count", "gross_sales", "discounts", "refunds", "tax", "cogs")
    return {
        key: {name: Decimal(figures.get(name, 0)) for name in names}
        for key, figures in rows.items()
        if any(figures.get(name) for name in names)
    }


@pytest.mark.postgres
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=operations,
    zone=st.sampled_from(ZONES),
    ends_at=st.sampled_from([time(0), time(4), time(2, 30), time(23, 0)]),
    period=st.one_of(small_period, month_periods),
    group_by=st.sampled_from(GROUPINGS),
)
def test_the_report_equals_a_direct_computation(
    world: World, ops: list[Any], zone: str, ends_at: time, period: tuple[date, date], group_by: str
) -> None:
    with transaction.atomic():
        till = Till(world)
        tenant = till.tw.tenant
        tenant.business_day_ends_at = ends_at
        tenant.save()
        branch = till.tw.branch
        branch.timezone = zone
        branch.save()
        till.run(ops)
        date_from, date_to = period
        with tenant_scope(tenant.pk):
            report = sales_report(
                tenant=tenant, branch_ids=None, date_from=date_from, date_to=date_to, group_by=group_by
            )
            expected = direct(tenant=tenant, date_from=date_from, date_to=date_to, group_by=group_by)
            whole = sales_report(
                tenant=tenant, branch_ids=None, date_from=date_from, date_to=date_to, group_by="day"
            )
        assert normalised(reported(report)) == normalised(expected)
        assert report.totals == whole.totals
        with tenant_scope(tenant.pk):
            assert monthly_rows(tenant) == daily_rows_by_month(tenant)
        transaction.set_rollback(True)


SUMMED = ("sale_count", "quantity", "gross_sales", "discounts", "refunds", "tax", "cogs")


def monthly_rows(tenant: Any) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    rows = MonthlySalesRollup.objects.filter(tenant=tenant)
    return {
        (branch, month, dimension, key): (days, *figures)
        for branch, month, dimension, key, days, *figures in rows.values_list(
            "branch_id", "month", "dimension", "key", "days", *SUMMED
        )
    }


def daily_rows_by_month(tenant: Any) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """What the monthly rollups must hold: the daily rows of each month, summed here."""
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for row in SalesRollup.objects.filter(tenant=tenant):
        key = (row.branch_id, row.business_day.replace(day=1), row.dimension, row.key)
        total = sums.setdefault(key, [0] * (len(SUMMED) + 1))
        total[0] += 1
        for index, name in enumerate(SUMMED, start=1):
            total[index] += getattr(row, name)
    return {key: tuple(total) for key, total in sums.items()}
