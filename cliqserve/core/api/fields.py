"""Serializer fields shared by the API apps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from cliqserve.core.money import MONEY_PLACES, quantize_money


class AmountField(serializers.DecimalField):
    """An amount of money, output only: a string with exactly the currency's decimals ("12.50"
    EUR, "1250" JPY, "1.250" KWD). The view puts the tenant's `currency` in the context."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(max_digits=14, decimal_places=MONEY_PLACES, **kwargs)

    def to_representation(self, value: Any) -> str:
        return format(quantize_money(Decimal(value), self.context["currency"]), "f")
