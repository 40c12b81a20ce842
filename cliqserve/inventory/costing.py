"""Moving-average unit cost: the valuation every stock level carries (ARCHITECTURE §4).

Only inbound stock that arrives at a known cost (a receipt, a transfer arriving at the cost it
left with) moves the average. Outbound stock leaves at the average, which therefore does not
change; stock that turns up in an adjustment or a count is valued at the average too.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from cliqserve.core.money import quantize_cost

# Quantities have 14 digits and costs 16: the products and sums below need up to ~31 digits,
# more than Decimal's default 28, before the result is quantized back to COST_PLACES.
_PRECISION = 60


def moving_average(
    *, on_hand: Decimal, average: Decimal, quantity_in: Decimal, unit_cost: Decimal
) -> Decimal:
    """The average unit cost after `quantity_in` units arrive at `unit_cost`.

    new = (on_hand * average + quantity_in * unit_cost) / (on_hand + quantity_in), quantized.

    When nothing is on hand (`on_hand <= 0`) the new average is the arriving cost. Negative
    stock means units were sold that were never there, valued at the old average; weighting
    the old average by a negative quantity would push the new one outside the range of real
    costs (even below zero), so the arriving cost is the only honest figure.
    """
    if quantity_in <= 0:
        raise ValueError("moving_average() is for inbound stock: quantity_in must be positive")
    if on_hand <= 0:
        return quantize_cost(unit_cost)
    with localcontext() as context:
        context.prec = _PRECISION
        total_value = on_hand * average + quantity_in * unit_cost
        return quantize_cost(total_value / (on_hand + quantity_in))
