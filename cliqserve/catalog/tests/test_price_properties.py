"""Properties of price rounding (core.money.quantize_money), for the currencies tills sell in."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cliqserve.core.money import MONEY_PLACES, quantize_money
from cliqserve.core.validators import currency_decimal_places

# Minor units 0 (JPY, CLP), 2 (EUR, USD) and 3 (KWD, BHD).
CURRENCIES = st.sampled_from(["EUR", "USD", "JPY", "CLP", "KWD", "BHD"])
AMOUNTS = st.decimals(min_value=-(10**10), max_value=10**10, allow_nan=False, allow_infinity=False, places=6)
PRICES = st.decimals(min_value=0, max_value=10**10, allow_nan=False, allow_infinity=False, places=6)


def decimals_of(amount: Decimal) -> int:
    return max(0, -int(amount.as_tuple().exponent))


@given(amount=AMOUNTS, currency=CURRENCIES)
def test_never_more_decimals_than_the_currency_has(amount, currency):
    rounded = quantize_money(amount, currency)

    assert decimals_of(rounded) <= currency_decimal_places(currency) <= MONEY_PLACES
    assert abs(rounded - amount) <= Decimal(1).scaleb(-currency_decimal_places(currency)) / 2


@given(amount=AMOUNTS, currency=CURRENCIES)
def test_rounding_twice_changes_nothing(amount, currency):
    once = quantize_money(amount, currency)

    assert quantize_money(once, currency) == once
    assert str(quantize_money(once, currency)) == str(once)


@given(price=PRICES, currency=CURRENCIES)
def test_a_price_of_zero_or_more_never_rounds_below_zero(price, currency):
    assert quantize_money(price, currency) >= 0
