"""Template filters of the back office: amounts shown exactly as the API answers them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from cliqserve.core.money import quantize_money
from cliqserve.sales.models import PaymentMethod

register = template.Library()


@register.filter
def money(value: Any, currency: str) -> str:
    """An amount with exactly the currency's decimals ("12.50" EUR, "1250" JPY); "—" for none."""
    if value is None or value == "":
        return "—"
    try:
        return format(quantize_money(Decimal(value), currency), "f")
    except (InvalidOperation, KeyError, ValueError):
        return str(value)


@register.filter
def payment_method(value: str) -> str:
    """A payment method's translated name ("cash" -> "Cash")."""
    try:
        return str(PaymentMethod(value).label)
    except ValueError:
        return value


@register.filter
def tally(figures: Any, name: str) -> Any:
    """One tally (count and amount) of an exceptions row, by kind."""
    return figures.tally(name)
