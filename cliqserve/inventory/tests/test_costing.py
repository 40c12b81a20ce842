"""Moving-average cost: properties over every quantity and cost the columns can hold."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cliqserve.core.money import COST_PLACES, QUANTITY_PLACES
from cliqserve.inventory.costing import moving_average

# What the columns hold: quantity_field (14 digits, 3 places), cost_field (16 digits, 4 places).
MAX_QUANTITY = Decimal("99999999999.999")
MAX_COST = Decimal("999999999999.9999")
COST_STEP = Decimal(1).scaleb(-COST_PLACES)

quantities_in = st.decimals(min_value=Decimal("0.001"), max_value=MAX_QUANTITY, places=QUANTITY_PLACES)
on_hand_any = st.decimals(min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY, places=QUANTITY_PLACES)
costs = st.decimals(min_value=Decimal(0), max_value=MAX_COST, places=COST_PLACES)


@given(on_hand=on_hand_any, average=costs, quantity_in=quantities_in, unit_cost=costs)
@example(on_hand=Decimal("1"), average=Decimal("1"), quantity_in=Decimal("2"), unit_cost=Decimal("2"))
def test_the_average_is_a_quantized_decimal_never_negative(on_hand, average, quantity_in, unit_cost):
    result = moving_average(on_hand=on_hand, average=average, quantity_in=quantity_in, unit_cost=unit_cost)

    assert isinstance(result, Decimal)
    assert result >= 0
    assert result == result.quantize(COST_STEP)
    assert result.as_tuple().exponent == -COST_PLACES


@given(
    on_hand=st.decimals(min_value=Decimal("0.001"), max_value=MAX_QUANTITY, places=QUANTITY_PLACES),
    average=costs,
    quantity_in=quantities_in,
    unit_cost=costs,
)
def test_with_stock_on_hand_the_average_lies_between_the_two_costs(on_hand, average, quantity_in, unit_cost):
    result = moving_average(on_hand=on_hand, average=average, quantity_in=quantity_in, unit_cost=unit_cost)

    assert min(average, unit_cost) <= result <= max(average, unit_cost)


@given(
    on_hand=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**6), places=QUANTITY_PLACES),
    average=costs,
    quantity_in=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**6), places=QUANTITY_PLACES),
    unit_cost=costs,
)
def test_the_average_is_the_value_on_hand_over_the_quantity_within_rounding(
    on_hand, average, quantity_in, unit_cost
):
    result = moving_average(on_hand=on_hand, average=average, quantity_in=quantity_in, unit_cost=unit_cost)

    with localcontext() as context:
        context.prec = 80
        exact = (on_hand * average + quantity_in * unit_cost) / (on_hand + quantity_in)
    assert abs(result - exact) <= COST_STEP / 2


@given(
    on_hand=st.decimals(max_value=Decimal(0), min_value=-MAX_QUANTITY, places=QUANTITY_PLACES), average=costs
)
def test_with_nothing_or_less_on_hand_the_average_is_the_arriving_cost(on_hand, average):
    result = moving_average(
        on_hand=on_hand, average=average, quantity_in=Decimal(3), unit_cost=Decimal("2.12345")
    )

    assert result == Decimal("2.1235")


@given(average=costs, unit_cost=costs)
def test_equal_quantities_give_the_midpoint(average, unit_cost):
    result = moving_average(on_hand=Decimal(5), average=average, quantity_in=Decimal(5), unit_cost=unit_cost)

    assert result == ((average + unit_cost) / 2).quantize(COST_STEP, rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("quantity_in", [Decimal(0), Decimal(-1)])
def test_the_average_only_moves_for_inbound_stock(quantity_in):
    with pytest.raises(ValueError, match="inbound"):
        moving_average(on_hand=Decimal(1), average=Decimal(1), quantity_in=quantity_in, unit_cost=Decimal(1))
