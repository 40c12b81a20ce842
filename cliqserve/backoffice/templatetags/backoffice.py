"""Template filters of the back office: amounts shown exactly as the API answers them; feature
flags, evaluated as the API evaluates them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from cliqserve.core import feature_flags
from cliqserve.core.money import quantize_money
from cliqserve.sales.models import PaymentMethod

register = template.Library()


@register.simple_tag(takes_context=True)
def flag_on(context: template.Context, name: str) -> bool:
    """`{% flag_on "module.feature.action" as on %}`: the flag for the page's signed-in user."""
    request = context.get("request")
    return request is not None and feature_flags.flag_on(name, request=request)


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
