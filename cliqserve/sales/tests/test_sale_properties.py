"""Properties of pricing a cart and settling it, over random carts, discounts, tax modes,
payment splits and currencies with 0, 2 and 3 decimals (in memory: no database needed)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cliqserve.catalog.models import Product, TaxRate
from cliqserve.core.errors import InvalidInput
from cliqserve.sales.errors import PaymentInsufficient
from cliqserve.sales.services.selling import LineInput, PaymentInput, priced_line, settle
from cliqserve.tenants.models import Tenant

CURRENCIES = {"JPY": 0, "EUR": 2, "KWD": 3}


def amounts(places: int, *, low: str = "0", high: str = "5000") -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places)


@st.composite
def carts(draw: st.DrawFn) -> tuple[Tenant, list]:
    currency = draw(st.sampled_from(sorted(CURRENCIES)))
    places = CURRENCIES[currency]
    tenant = Tenant(currency=currency)
    lines = []
    for position in range(draw(st.integers(min_value=1, max_value=8))):
        rate = draw(st.decimals(min_value=0, max_value=30, places=2))
        tax = draw(st.none() | st.just(TaxRate(rate=rate, inclusive=draw(st.booleans()))))
        product = Product(sku=f"P{position}", price=draw(amounts(places)), tax_rate=tax)
        product.receipt_name = product.sku
        line = LineInput(
            product_id=uuid.uuid4(),
            quantity=draw(st.decimals(min_value=Decimal("0.001"), max_value=100, places=3)),
            discount_percent=draw(st.decimals(min_value=0, max_value=100, places=2)),
        )
        lines.append(priced_line(tenant=tenant, line=line, product=product, position=position))
    return tenant, lines


def total_of(lines) -> Decimal:
    return sum((line.total for line in lines), Decimal(0))


@settings(max_examples=300, deadline=None)
@given(carts())
def test_a_receipt_always_adds_up(cart):
    tenant, lines = cart
    exponent = Decimal(1).scaleb(-CURRENCIES[tenant.currency])
    for line in lines:
        assert line.net + line.tax == line.total
        assert line.gross - line.discount == (line.total if line.tax_inclusive else line.net)
        for amount in (line.gross, line.discount, line.tax, line.total):
            assert amount == amount.quantize(exponent)
            assert amount >= 0
    exclusive_tax = sum((line.tax for line in lines if not line.tax_inclusive), Decimal(0))
    subtotal = sum((line.gross for line in lines), Decimal(0))
    discounts = sum((line.discount for line in lines), Decimal(0))
    assert subtotal - discounts + exclusive_tax == total_of(lines)


@st.composite
def settlements(draw: st.DrawFn) -> tuple[Tenant, Decimal, list[PaymentInput]]:
    tenant, lines = draw(carts())
    places = CURRENCIES[tenant.currency]
    total = total_of(lines)
    payments = [
        PaymentInput(
            method=draw(st.sampled_from(["cash", "card", "other"])), amount=draw(amounts(places, low="1"))
        )
        for _ in range(draw(st.integers(min_value=0, max_value=4)))
    ]
    return tenant, total, payments


@settings(max_examples=300, deadline=None)
@given(settlements())
def test_settling_never_takes_less_than_the_total_and_change_comes_from_cash(case):
    tenant, total, payments = case
    cash = sum((p.amount for p in payments if p.method == "cash"), Decimal(0))
    non_cash = sum((p.amount for p in payments if p.method != "cash"), Decimal(0))
    try:
        settlement = settle(tenant=tenant, total=total, payments=payments)
    except PaymentInsufficient:
        assert cash + non_cash < total
        return
    except InvalidInput:
        assert non_cash > total
        return
    assert settlement.paid == cash + non_cash >= total
    assert settlement.change_due == settlement.paid - total >= 0
    assert settlement.change_due <= cash


@pytest.mark.parametrize("currency", sorted(CURRENCIES))
def test_an_amount_finer_than_the_currency_is_refused(currency):
    too_fine = Decimal(1).scaleb(-CURRENCIES[currency] - 1)
    with pytest.raises(InvalidInput):
        settle(
            tenant=Tenant(currency=currency),
            total=Decimal(0),
            payments=[PaymentInput(method="cash", amount=Decimal(1) + too_fine)],
        )
