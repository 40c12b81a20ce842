"""What the money columns of sales can hold, checked before a write reaches them.

Every amount a request sends is within its field's bound, but sums are not: two cash payments
of 99,999,999,999 make a `paid` of twice that, which `numeric(14, 3)` cannot store, and
PostgreSQL would refuse the INSERT (a 500). So each sum a sale, a pay-in or a close stores —
and the drawer's expected cash, which the close stores and the Z report renders — is checked
here first and refused with 400 `validation_error` and a pointer, before anything is written.

The drawer's expected cash needs the shift's totals (five aggregate queries). A pay-in reads
them anyway; a sale reads them only when the cash it leaves in the drawer is at least
`DRAWER_CHECK_FROM`, so the checkout's hot path keeps its query count. A drawer can therefore
pass its limit only through more than ten thousand smaller cash sales since the last large one
or pay-in; its close then still refuses cleanly (400 on /counted_cash), never with a 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from cliqserve.core.errors import InvalidInput
from cliqserve.core.money import COST_PLACES, MONEY_PLACES, quantize_cost

from .models import PaymentMethod
from .shift_report import shift_totals

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant

    from .models import SaleLine, Shift
    from .services.selling import Cart, Settlement

# money_field() is numeric(14, 3) and cost_field() numeric(16, 4): every value stored must be
# below these in absolute value.
MONEY_LIMIT = Decimal(10) ** (14 - MONEY_PLACES)
COST_LIMIT = Decimal(10) ** (16 - COST_PLACES)
DRAWER_CHECK_FROM = MONEY_LIMIT / 10**4
LINE_AMOUNTS = ("gross", "discount", "net", "tax", "total")


def fits_money(*amounts: Decimal) -> bool:
    return all(abs(amount) < MONEY_LIMIT for amount in amounts)


def too_large(pointer: str, *, limit: Decimal = MONEY_LIMIT) -> InvalidInput:
    return InvalidInput(
        _("The amounts here add up to more than can be recorded (less than %(limit)s).") % {"limit": limit},
        pointer=pointer,
        meta={"limit": str(limit)},
    )


def check_cart(cart: Cart) -> None:
    """Every amount of every line, and the sale's sums of them, within their columns."""
    for line in cart.lines:
        if not fits_money(*(getattr(line, name) for name in LINE_AMOUNTS)):
            raise too_large(f"/lines/{line.position}/quantity")
    if not fits_money(*(cart.sum_of(name) for name in ("gross", "discount", "tax", "total"))):
        raise too_large("/lines")


def check_paid(*, paid: Decimal, change_due: Decimal) -> None:
    if not fits_money(paid, change_due):
        raise too_large("/payments")


def check_cost_total(lines: Iterable[SaleLine]) -> Decimal:
    """The sale's cost of goods (captured unit costs x quantities), within its column."""
    cost_total = sum((line.unit_cost * line.quantity for line in lines), Decimal(0))
    if abs(quantize_cost(cost_total)) >= COST_LIMIT:
        raise too_large("/lines", limit=COST_LIMIT)
    return cost_total


def check_drawer(*, expected_cash: Decimal, adding: Decimal, pointer: str) -> None:
    """The drawer's expected cash after `adding` still fits the close's columns."""
    if not fits_money(expected_cash + adding):
        raise too_large(pointer)


def check_drawer_after_sale(*, tenant: Tenant, shift: Shift, settlement: Settlement) -> None:
    """The cash a sale leaves in the drawer must not take its expected cash beyond what the
    close can store; read only for large amounts (DRAWER_CHECK_FROM), off the hot path."""
    cash = sum((row.amount for row in settlement.payments if row.method == PaymentMethod.CASH), Decimal(0))
    adding = cash - settlement.change_due
    if adding < DRAWER_CHECK_FROM:
        return
    expected = shift_totals(tenant=tenant, shift=shift).expected_cash
    check_drawer(expected_cash=expected, adding=adding, pointer="/payments")
