"""Domain errors of the inventory: stable codes from the API contract."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from cliqserve.core.errors import DomainError

if TYPE_CHECKING:
    from cliqserve.catalog.models import Product
    from cliqserve.tenants.models import Branch


@dataclass(frozen=True)
class Shortage:
    """One line that would take stock below zero."""

    product: Product
    branch: Branch
    available: Decimal
    requested: Decimal
    pointer: str | None = None

    def describe(self) -> str:
        name = self.product.safe_translation_getter("name", any_language=True) or self.product.sku
        return _(
            'Not enough stock of "%(name)s" (%(sku)s) at %(branch)s: %(available)s available, '
            "%(requested)s requested."
        ) % {
            "name": name,
            "sku": self.product.sku,
            "branch": self.branch.code,
            "available": self.available,
            "requested": self.requested,
        }

    def as_meta(self) -> dict[str, Any]:
        return {
            "product": str(self.product.pk),
            "branch": str(self.branch.pk),
            "available": str(self.available),
            "requested": str(self.requested),
            "pointer": self.pointer,
        }


class InsufficientStock(DomainError):
    """A decrement would take stock below zero and the tenant does not allow negative stock.

    Names every short line: `detail` in words, `meta` with the first short line's product,
    branch, available and requested quantities plus `shortages` listing each of them, and
    `source.pointer` at the first short line of the request when there is one.
    """

    status_code = 409
    code = "insufficient_stock"
    default_detail = "Not enough stock."

    def __init__(self, shortages: list[Shortage]) -> None:
        if not shortages:
            raise ValueError("InsufficientStock needs at least one short line")
        first = shortages[0]
        meta = {key: value for key, value in first.as_meta().items() if key != "pointer"}
        meta["shortages"] = [shortage.as_meta() for shortage in shortages]
        super().__init__(
            " ".join(shortage.describe() for shortage in shortages), pointer=first.pointer, meta=meta
        )
        self.shortages = shortages
