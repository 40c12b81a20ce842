"""Hypothesis: however a sale is priced and however it is refunded in parts, refunds never exceed
the sale — per line, per amount, in total — and refunding everything returns exactly the sale.

Random carts (prices, quantities, discounts, no tax / tax-exclusive / tax-inclusive) in
currencies with 0, 2 and 3 decimals, then a random sequence of partial refunds, some asking for
more than remains. Each example runs in a transaction that is rolled back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cliqserve.core.money import quantize_money, quantize_quantity
from cliqserve.core.tenancy import tenant_scope
from cliqserve.sales.errors import RefundExceedsSale
from cliqserve.sales.models import Refund, RefundLine, Sale, SaleLine
from cliqserve.sales.services import refunds, selling
from tests.factories import ProductFactory, TaxRateFactory

from .helpers import open_shift

AMOUNTS = ("gross", "discount", "tax", "total")
CURRENCIES = st.sampled_from(["JPY", "EUR", "KWD"])
# Tiny prices too: with a discount their per-unit shares sit right on a half minor unit.
PRICES = st.one_of(
    st.decimals(min_value=0, max_value=10_000, places=3),
    st.sampled_from(["0.001", "0.005", "0.01", "0.015", "0.05", "1"]).map(Decimal),
)
QUANTITIES = st.one_of(
    st.integers(min_value=1, max_value=12).map(Decimal),
    st.decimals(min_value=Decimal("0.001"), max_value=50, places=3),
)
PERCENTS = st.decimals(min_value=0, max_value=100, places=2)
TAX = st.one_of(st.none(), st.tuples(st.decimals(min_value=0, max_value=30, places=2), st.booleans()))
LINES = st.lists(st.tuples(PRICES, QUANTITIES, PERCENTS, TAX), min_size=1, max_size=4)
# A refund step says, per line, what to ask for: nothing, one unit, a share of what remains,
# all of it, or more than remains (which must be refused, and the whole refund with it).
ASKS = st.sampled_from(["none", "unit", "0.25", "0.5", "all", "more"])
ONE_BY_ONE = [["unit"] * 4] * 13
STEPS = st.one_of(
    st.lists(st.lists(ASKS, min_size=4, max_size=4), max_size=10),
    # The customer brings the goods back one unit at a time: the most roundings per line.
    st.just(ONE_BY_ONE),
)


def asked(remaining: Decimal, ask: str) -> Decimal:
    if ask == "none":
        return Decimal(0)
    if ask == "unit":
        return min(Decimal(1), remaining)
    if ask == "all":
        return remaining
    if ask == "more":
        return remaining + Decimal(1)
    return quantize_quantity(remaining * Decimal(ask))


def sell(tw: Any, currency: str, lines: list[tuple[Any, ...]]) -> Sale:
    tw.tenant.currency = currency
    tw.tenant.save(update_fields=["currency"])
    inputs = []
    for index, (price, quantity, discount, tax) in enumerate(lines):
        rate = TaxRateFactory(tenant=tw.tenant, rate=tax[0], inclusive=tax[1]) if tax else None
        item = ProductFactory(
            tenant=tw.tenant, sku=f"P-{index}", price=price, tax_rate=rate, track_stock=False
        )
        inputs.append(selling.LineInput(product_id=item.pk, quantity=quantity, discount_percent=discount))
    return selling.sale_create(
        tenant=tw.tenant,
        actor=tw.tenant_admin,
        shift_id=open_shift(tw).pk,
        lines=inputs,
        payments=[selling.PaymentInput(method="cash", amount=Decimal(10) ** 10)],
    )


def refund(tw: Any, sale: Sale, wanted: list[tuple[SaleLine, Decimal]]) -> None:
    refunds.refund_create(
        tenant=tw.tenant,
        actor=tw.tenant_admin,
        sale=sale,
        lines=[refunds.RefundLineInput(sale_line_id=line.pk, quantity=quantity) for line, quantity in wanted],
    )


def assert_within_the_sale(sale: Sale, *, exactly: bool = False) -> None:
    sale.refresh_from_db()
    given_back = list(Refund.objects.filter(sale=sale))
    assert sale.refunded_total == sum((r.total for r in given_back), Decimal(0))
    assert 0 <= sale.refunded_total <= sale.total
    for line in SaleLine.objects.filter(sale=sale):
        assert 0 <= line.refunded_quantity <= line.quantity
        parts = list(RefundLine.objects.filter(sale_line=line))
        assert sum((part.quantity for part in parts), Decimal(0)) == line.refunded_quantity
        for name in AMOUNTS:
            values = [getattr(part, name) for part in parts]
            assert all(0 <= value == quantize_money(value, sale.currency) for value in values)
            total = sum(values, Decimal(0))
            assert total == getattr(line, name) if exactly else total <= getattr(line, name)
    if exactly:
        assert (sale.refunded_total, sale.status) == (sale.total, Sale.Status.REFUNDED)


def run_example(tw: Any, currency: str, lines: list[tuple[Any, ...]], steps: list[list[str]]) -> None:
    sale = sell(tw, currency, lines)
    for asks in steps:
        sale_lines = SaleLine.objects.filter(sale=sale).order_by("position")
        remaining = {line.pk: line.quantity - line.refunded_quantity for line in sale_lines}
        wanted = [
            (line, asked(remaining[line.pk], ask))
            for line, ask in zip(sale_lines, asks, strict=False)
            if asked(remaining[line.pk], ask) > 0
        ]
        if not wanted:
            continue
        too_much = any(quantity > remaining[line.pk] for line, quantity in wanted)
        try:
            refund(tw, sale, wanted)
        except RefundExceedsSale:
            assert too_much
        else:
            assert not too_much
        assert_within_the_sale(sale)
    rest = [(line, line.quantity - line.refunded_quantity) for line in SaleLine.objects.filter(sale=sale)]
    if any(quantity > 0 for _line, quantity in rest):
        refund(tw, sale, [(line, quantity) for line, quantity in rest if quantity > 0])
    assert_within_the_sale(sale, exactly=True)


@pytest.mark.django_db
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(currency=CURRENCIES, lines=LINES, steps=STEPS)
# 10 units at 0.01 less 50% pay 0.05, and each unit's share (0.005) rounds half up to 0.01.
@example(currency="EUR", lines=[(Decimal("0.01"), Decimal(10), Decimal(50), None)], steps=ONE_BY_ONE)
def test_partial_refunds_never_exceed_the_sale_and_all_of_them_return_it_exactly(
    world, currency, lines, steps
):
    tw = world.a
    original = tw.tenant.currency
    try:
        with tenant_scope(tw.tenant.pk), transaction.atomic():
            run_example(tw, currency, lines, steps)
            transaction.set_rollback(True)
    finally:
        tw.tenant.currency = original
