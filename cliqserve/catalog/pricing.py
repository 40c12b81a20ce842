"""How one sale line is priced: discount, tax (inclusive or exclusive) and totals.

ARCHITECTURE §4: amounts are quantized to the currency's minor unit, half up, per line; a
receipt's totals are sums of rounded lines, so a receipt always adds up. Within a line the
parts are derived so that they add up exactly: net + tax == total, and for tax-inclusive
prices total == gross - discount, the shelf price the customer saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cliqserve.core.money import quantize_money

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # unit price x quantity, as the catalog states it (tax included or not)
    discount: Decimal
    net: Decimal  # after discount, before tax
    tax: Decimal
    total: Decimal  # what the customer pays for the line


def price_line(
    *,
    unit_price: Decimal,
    quantity: Decimal,
    currency: str,
    discount_percent: Decimal = Decimal(0),
    tax_rate: Decimal = Decimal(0),
    tax_inclusive: bool = False,
) -> LineAmounts:
    """Price one line. Inputs must be non-negative and discount_percent at most 100."""
    if min(unit_price, quantity, discount_percent, tax_rate) < 0 or discount_percent > HUNDRED:
        raise ValueError("prices, quantities, discounts and rates are never negative; discounts ≤ 100%")
    gross = quantize_money(unit_price * quantity, currency)
    discount = quantize_money(gross * discount_percent / HUNDRED, currency)
    after_discount = gross - discount
    if tax_inclusive:
        # The price already holds the tax: take it out of what the customer pays.
        tax = quantize_money(after_discount * tax_rate / (HUNDRED + tax_rate), currency)
        return LineAmounts(gross, discount, after_discount - tax, tax, after_discount)
    tax = quantize_money(after_discount * tax_rate / HUNDRED, currency)
    return LineAmounts(gross, discount, after_discount, tax, after_discount + tax)
