"""Hypothesis properties of line pricing, for currencies with 0, 2 and 3 decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cliqserve.catalog.pricing import price_line
from cliqserve.core.validators import currency_decimal_places

CURRENCIES = ("JPY", "EUR", "KWD")

money = st.decimals(min_value=0, max_value=100_000, places=3)
quantities = st.decimals(min_value=0, max_value=1_000, places=3)
percents = st.decimals(min_value=0, max_value=100, places=2)


def places(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@given(
    unit_price=money,
    quantity=quantities,
    currency=st.sampled_from(CURRENCIES),
    discount_percent=percents,
    tax_rate=percents,
    tax_inclusive=st.booleans(),
)
def test_a_line_always_adds_up(unit_price, quantity, currency, discount_percent, tax_rate, tax_inclusive):
    line = price_line(
        unit_price=unit_price,
        quantity=quantity,
        currency=currency,
        discount_percent=discount_percent,
        tax_rate=tax_rate,
        tax_inclusive=tax_inclusive,
    )

    allowed = currency_decimal_places(currency)
    assert all(places(amount) <= allowed for amount in vars(line).values())
    assert all(amount >= 0 for amount in vars(line).values())
    assert line.net + line.tax == line.total
    assert line.discount <= line.gross
    if tax_inclusive:
        assert line.total == line.gross - line.discount
        assert line.tax <= line.total
    else:
        assert line.net == line.gross - line.discount
    if tax_rate == 0:
        assert line.tax == 0


@given(unit_price=money, quantity=quantities, currency=st.sampled_from(CURRENCIES))
def test_without_discount_or_tax_the_total_is_the_rounded_price(unit_price, quantity, currency):
    line = price_line(unit_price=unit_price, quantity=quantity, currency=currency)

    assert line.total == line.gross == line.net


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # 3 x 1.99 EUR, 10% off, 21% VAT on top: 5.97 - 0.60 = 5.37; tax 1.1277 -> 1.13
        ({"unit_price": "1.99", "quantity": "3", "currency": "EUR", "discount_percent": "10",
          "tax_rate": "21"}, ("5.97", "0.60", "5.37", "1.13", "6.50")),
        # 10.00 EUR shelf price with 21% VAT inside: tax = 10 x 21/121 = 1.7355 -> 1.74
        ({"unit_price": "10", "quantity": "1", "currency": "EUR", "tax_rate": "21", "tax_inclusive": True},
         ("10.00", "0.00", "8.26", "1.74", "10.00")),
        # JPY has no minor unit: 333 x 1.5 = 499.5 -> 500, 10% tax -> 50
        ({"unit_price": "333", "quantity": "1.5", "currency": "JPY", "tax_rate": "10"},
         ("500", "0", "500", "50", "550")),
    ],
)  # fmt: skip
def test_worked_examples(kwargs, expected):
    arguments: dict[str, Any] = {
        key: Decimal(value) if isinstance(value, str) and key != "currency" else value
        for key, value in kwargs.items()
    }

    line = price_line(**arguments)

    assert (
        tuple(str(amount) for amount in (line.gross, line.discount, line.net, line.tax, line.total))
        == expected
    )


def test_negative_inputs_are_refused():
    with pytest.raises(ValueError, match="never negative"):
        price_line(unit_price=Decimal("-1"), quantity=Decimal(1), currency="EUR")
