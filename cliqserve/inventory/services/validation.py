"""What the entry points accept: the line shapes callers pass, and the input rules they share."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.utils.translation import gettext as _

from cliqserve.core.errors import InvalidInput
from cliqserve.core.money import quantize_cost, quantize_quantity

if TYPE_CHECKING:
    from cliqserve.catalog.models import Product


class ReceiptLine(TypedDict):
    product: Product
    quantity: Decimal
    unit_cost: Decimal


class StockLine(TypedDict):
    product: Product
    quantity: Decimal


def positive_quantity(value: Decimal, pointer: str | None) -> Decimal:
    quantity = quantize_quantity(value)
    if quantity <= 0:
        raise InvalidInput(_("Must be greater than zero."), pointer=pointer)
    return quantity


def not_negative_cost(value: Decimal, pointer: str | None) -> Decimal:
    if value < 0:
        raise InvalidInput(_("Must not be negative."), pointer=pointer)
    return quantize_cost(value)


def require_lines(lines: Sequence[Any]) -> None:
    if not lines:
        raise InvalidInput(_("Give at least one line."), pointer="/lines")


def refuse_duplicate_products(lines: Sequence[StockLine] | Sequence[ReceiptLine]) -> None:
    """One line per product: a second line for the same product is a client mistake more often
    than not, and one line per product keeps the ledger of a receipt or transfer readable."""
    seen: dict[uuid.UUID, int] = {}
    for index, line in enumerate(lines):
        first = seen.setdefault(line["product"].pk, index)
        if first != index:
            raise InvalidInput(
                _("This product is already on line %(line)s.") % {"line": first},
                pointer=f"/lines/{index}/product",
            )
