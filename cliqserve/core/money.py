"""Money and quantities: Decimal only, quantized the one way ARCHITECTURE §4 prescribes."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models

from .validators import currency_decimal_places

QUANTITY_PLACES = 3  # stock counts: 3 decimals covers weighed goods (kg to the gram)
COST_PLACES = 4  # unit costs keep more precision than prices: averages must not drift
MONEY_PLACES = 3  # the most any active currency uses (BHD, KWD, ...)


def quantity_field(**kwargs: Any) -> models.DecimalField[Any, Any]:
    return models.DecimalField(max_digits=14, decimal_places=QUANTITY_PLACES, **kwargs)


def cost_field(**kwargs: Any) -> models.DecimalField[Any, Any]:
    return models.DecimalField(max_digits=16, decimal_places=COST_PLACES, **kwargs)


def money_field(**kwargs: Any) -> models.DecimalField[Any, Any]:
    return models.DecimalField(max_digits=14, decimal_places=MONEY_PLACES, **kwargs)


def quantize_money(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up: 2.345 EUR -> 2.35, 2.5 JPY -> 3."""
    exponent = Decimal(1).scaleb(-currency_decimal_places(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def quantize_cost(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-COST_PLACES), rounding=ROUND_HALF_UP)


def quantize_quantity(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-QUANTITY_PLACES), rounding=ROUND_HALF_UP)
