"""Ringing up a sale: price the cart from the catalog, take the payments, move the stock, number
the receipt — in one transaction, with a number of queries that does not grow with the cart.

The parts are public for the offline sync (services/offline.py), which records sales that
already happened: it prices them the same way but flags, rather than refuses, what a cashier
could not have done online.

Queries of an online sale (PostgreSQL): lock the shift with its device and branch (1), the
products with tax rate and name (1), the stock (3: lock levels, update them, append the
ledger), the receipt number (1), the sale, its lines and its payments (3). The shift's lock
and the two statements written as SQL are in locks.py and sql.py; who may sell, discount and
override a price, in policies.py.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.accounts.services import approval_use
from cliqserve.catalog.pricing import HUNDRED, price_line
from cliqserve.core.errors import InvalidInput, NotPermitted
from cliqserve.core.money import quantize_money, quantize_quantity
from cliqserve.core.validators import currency_decimal_places
from cliqserve.inventory.models import StockMovement
from cliqserve.inventory.services import MAX_QUANTITY, stock_decrement

from .. import limits, locks, metrics, policies, sql
from ..errors import PaymentInsufficient, ShiftNotOpen
from ..models import Payment, PaymentMethod, Sale, SaleLine, Shift
from . import audit_trail
from .journal import record_day_change

Refusal = tuple[str, str, str]  # review reason, pointer, detail

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Device, Tenant

logger = logging.getLogger("cliqserve.sales")

RECEIPT_DIGITS = 6


@dataclass(frozen=True)
class LineInput:
    product_id: uuid.UUID
    quantity: Decimal
    discount_percent: Decimal | None = None
    unit_price: Decimal | None = None  # an override of the catalog price
    approval: str | None = None  # a manager's one-time approval (accounts.Approval) for this line


@dataclass(frozen=True)
class PaymentInput:
    method: str
    amount: Decimal
    reference: str = ""


@dataclass
class Cart:
    """Priced lines, not yet saved, and what an offline sale must be reviewed for."""

    lines: list[SaleLine]
    review_reasons: list[str] = field(default_factory=list)
    approvers: dict[int, uuid.UUID] = field(default_factory=dict)  # line position -> approving manager

    def sum_of(self, name: str) -> Decimal:
        return sum((getattr(line, name) for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class Settlement:
    payments: list[Payment]
    paid: Decimal
    change_due: Decimal


# --- The entry point ------------------------------------------------------------------------------


def sale_create(
    *,
    tenant: Tenant,
    actor: User,
    shift_id: uuid.UUID,
    lines: Sequence[LineInput],
    payments: Sequence[PaymentInput],
    token_device_id: str | None = None,
) -> Sale:
    """Sell `lines` on the open shift `shift_id`, paid by `payments`. Raises ShiftNotOpen,
    InsufficientStock (every short line), PaymentInsufficient, NotPermitted or InvalidInput;
    nothing is written unless the whole sale is."""
    started = timezone.now()
    # No savepoint: nothing here recovers from a refusal half-way, and under the idempotency
    # wrapper's transaction a savepoint would only cost two round trips.
    with transaction.atomic(savepoint=False):
        shift = lock_shift_for_selling(tenant=tenant, actor=actor, shift_id=shift_id)
        policies.require_signed_in_on(actor=actor, device_id=shift.device_id, token_device_id=token_device_id)
        cart = price_cart(tenant=tenant, actor=actor, lines=lines, enforce_limits=True)
        settlement = settle(tenant=tenant, total=cart.sum_of("total"), payments=payments)
        sale = record_sale(
            tenant=tenant,
            actor=actor,
            shift=shift,
            cart=cart,
            settlement=settlement,
            receipt_number=next_receipt_number(tenant=tenant, shift=shift),
            sold_at=started,
        )
        transaction.on_commit(lambda: metrics.sale_recorded(sale, started=started))
    return sale


# --- The shift ------------------------------------------------------------------------------------


def lock_shift_for_selling(*, tenant: Tenant, actor: User, shift_id: uuid.UUID) -> Shift:
    """The shift, locked against a concurrent close (FOR NO KEY UPDATE: the sale rows' foreign
    keys to it may still be checked), with its device and branch. It must be open, its device
    and branch active, and the caller must be its cashier on a device still assigned to them,
    the manager of its branch, or the tenant admin."""
    shift = locks.shift_for_selling(tenant=tenant, actor=actor, shift_id=shift_id)
    if shift is None:
        raise InvalidInput(_("Unknown shift."), pointer="/shift")
    policies.require_may_sell(actor=actor, shift=shift)
    if shift.status != Shift.Status.OPEN:
        raise ShiftNotOpen(_("This shift is closed; open a new shift to sell."))
    if not (shift.device.is_active and shift.branch.is_active):
        raise ShiftNotOpen(_("This shift's device or branch has been deactivated."))
    return shift


# --- Pricing --------------------------------------------------------------------------------------


def price_cart(*, tenant: Tenant, actor: User, lines: Sequence[LineInput], enforce_limits: bool) -> Cart:
    """Price every line from the catalog (one query). With `enforce_limits` (online) a cashier's
    price override or discount above the tenant's limit is refused; without (offline: the sale
    happened) it is priced as given and the cart is flagged for review."""
    if not lines:
        raise InvalidInput(_("Give at least one line."), pointer="/lines")
    products = sql.products_for(tenant=tenant, ids={line.product_id for line in lines})
    cart = Cart(lines=[])
    for position, line in enumerate(lines):
        pointer = f"/lines/{position}"
        product = products.get(line.product_id)
        if product is None:
            raise InvalidInput(_("Unknown product."), pointer=f"{pointer}/product")
        if not product.is_active:
            if enforce_limits:
                raise InvalidInput(
                    _("%(sku)s is not for sale.") % {"sku": product.sku}, pointer=f"{pointer}/product"
                )
            cart.review_reasons.append("inactive_product")
        _check_line_limits(
            tenant=tenant,
            actor=actor,
            line=line,
            product=product,
            position=position,
            cart=cart,
            enforce=enforce_limits,
        )
        cart.lines.append(priced_line(tenant=tenant, line=line, product=product, position=position))
    cart.review_reasons = sorted(set(cart.review_reasons))
    limits.check_cart(cart)
    return cart


def _check_line_limits(
    *, tenant: Tenant, actor: User, line: LineInput, product: Any, position: int, cart: Cart, enforce: bool
) -> None:
    """A line's figures within range; what the caller may not do refused (`enforce`) unless a
    manager approved it, or flagged for review (policies.line_refusals)."""
    pointer = f"/lines/{position}"
    _check_line_figures(line=line, pointer=pointer)
    refusals = policies.line_refusals(
        tenant=tenant,
        actor=actor,
        overridden=line.unit_price is not None and line.unit_price != product.price,
        discount=line.discount_percent or Decimal(0),
        pointer=pointer,
    )
    if enforce and refusals and line.approval:
        refusals = _approve(
            tenant=tenant, actor=actor, line=line, refusals=refusals, cart=cart, position=position
        )
    for reason, field_pointer, detail in refusals:
        if enforce:
            raise NotPermitted(detail, pointer=field_pointer)
        cart.review_reasons.append(reason)


# The approval (accounts.Approval.Action) that lifts each of policies.line_refusals' reasons.
APPROVAL_FOR = {"price_override": "price_override", "discount_above_limit": "discount"}


def _approve(
    *, tenant: Tenant, actor: User, line: LineInput, refusals: list[Refusal], cart: Cart, position: int
) -> list[Refusal]:
    """Spend the line's approval on its refusal; what is left refused. One approval lifts one
    thing: a line with both a price override and a discount above the limit is refused."""
    needed = {APPROVAL_FOR[reason] for reason, _pointer, _detail in refusals}
    if len(needed) != 1:
        return refusals
    cart.approvers[position] = approval_use(
        tenant=tenant,
        requester=actor,
        token=line.approval or "",
        action=needed.pop(),
        pointer=f"/lines/{position}/approval",
    )
    return []


def _check_line_figures(*, line: LineInput, pointer: str) -> None:
    if line.quantity <= 0 or quantize_quantity(line.quantity) >= MAX_QUANTITY:
        raise InvalidInput(_("Must be greater than zero and within range."), pointer=f"{pointer}/quantity")
    if not Decimal(0) <= (line.discount_percent or Decimal(0)) <= HUNDRED:
        raise InvalidInput(
            _("A discount is between 0 and 100 percent."), pointer=f"{pointer}/discount_percent"
        )
    if line.unit_price is not None and line.unit_price < 0:
        raise InvalidInput(_("Must not be negative."), pointer=f"{pointer}/unit_price")


def priced_line(*, tenant: Tenant, line: LineInput, product: Any, position: int) -> SaleLine:
    """One line priced from `product` (its price unless overridden, its tax rate); unsaved."""
    currency = tenant.currency
    overridden = line.unit_price is not None and line.unit_price != product.price
    unit_price = quantize_money(line.unit_price if overridden else product.price, currency)  # type: ignore[arg-type]
    discount_percent = (line.discount_percent or Decimal(0)).quantize(Decimal("0.01"))
    tax_rate = product.tax_rate
    quantity = quantize_quantity(line.quantity)
    amounts = price_line(
        unit_price=unit_price,
        quantity=quantity,
        currency=currency,
        discount_percent=discount_percent,
        tax_rate=tax_rate.rate if tax_rate else Decimal(0),
        tax_inclusive=tax_rate.inclusive if tax_rate else False,
    )
    return SaleLine(
        tenant=tenant,
        position=position,
        product=product,
        category_id=product.category_id,
        sku=product.sku,
        name=(product.receipt_name or product.sku)[:200],
        quantity=quantity,
        unit_price=unit_price,
        price_overridden=overridden,
        discount_percent=discount_percent,
        tax_rate=tax_rate.rate if tax_rate else Decimal(0),
        tax_inclusive=tax_rate.inclusive if tax_rate else False,
        gross=amounts.gross,
        discount=amounts.discount,
        net=amounts.net,
        tax=amounts.tax,
        total=amounts.total,
        unit_cost=Decimal(0),
    )


# --- Payments -------------------------------------------------------------------------------------


def settle(*, tenant: Tenant, total: Decimal, payments: Sequence[PaymentInput]) -> Settlement:
    """Split payments: cash may exceed what is due (the rest is change); card and other may not,
    together, exceed the total. Less than the total is `payment_insufficient`."""
    rows = [_payment_row(tenant, payment, index) for index, payment in enumerate(payments)]
    non_cash = sum((row.amount for row in rows if row.method != PaymentMethod.CASH), Decimal(0))
    if non_cash > total:
        raise InvalidInput(
            _("Card and other payments may not exceed the total of %(total)s.") % {"total": total},
            pointer="/payments",
        )
    paid = sum((row.amount for row in rows), Decimal(0))
    if paid < total:
        raise PaymentInsufficient(
            _("The payments (%(paid)s) do not cover the total (%(total)s).") % {"paid": paid, "total": total},
            pointer="/payments",
            meta={"total": str(total), "paid": str(paid), "missing": str(total - paid)},
        )
    limits.check_paid(paid=paid, change_due=paid - total)
    return Settlement(payments=rows, paid=paid, change_due=paid - total)


def _payment_row(tenant: Tenant, payment: PaymentInput, index: int) -> Payment:
    amount = checked_payment_amount(payment=payment, index=index, currency=tenant.currency)
    return Payment(tenant=tenant, method=payment.method, amount=amount, reference=payment.reference)


def checked_payment_amount(*, payment: PaymentInput, index: int, currency: str) -> Decimal:
    """The amount of request payment `index`, in `currency`'s places ("11.490" in, 11.49 USD
    out), once its method is known and the amount positive with no finer decimals than the
    currency has. Refunds pay out under the same rule."""
    pointer = f"/payments/{index}"
    if payment.method not in PaymentMethod.values:
        raise InvalidInput(_("Unknown payment method."), pointer=f"{pointer}/method")
    places = currency_decimal_places(currency)
    if payment.amount <= 0 or payment.amount != payment.amount.quantize(Decimal(1).scaleb(-places)):
        raise InvalidInput(
            _("Must be a positive amount in %(currency)s (%(places)s decimals at most).")
            % {"currency": currency, "places": places},
            pointer=f"{pointer}/amount",
        )
    return quantize_money(payment.amount, currency)


# --- Recording ------------------------------------------------------------------------------------


def next_receipt_number(*, tenant: Tenant, shift: Shift) -> str:
    """The shift's device's next receipt number, e.g. BR1-POS2-000123. One upsert: the counter
    row is created with the device's first sale and row-locked by each sale until it commits,
    so numbers are unique and — a rolled-back sale giving its number back — gapless."""
    number = sql.next_receipt_counter(tenant=tenant, device_id=shift.device_id)
    return f"{_series_prefix(shift.branch.code, shift.device.code)}{number:0{RECEIPT_DIGITS}d}"


def keep_offline_receipt_number(*, tenant: Tenant, shift: Shift, device: Device, receipt_number: str) -> None:
    """An offline receipt number in the device's own server series (the device carried on
    from BR1-POS2-000123 to BR1-POS2-000124 while offline) moves the series past it, so no
    later online sale is given the same number. Call it where an online sale takes its number:
    after locking the shift, before the stock, so both paths take their locks in one order."""
    prefix = _series_prefix(shift.branch.code, device.code)
    match = _SERIES_NUMBER.fullmatch(receipt_number.upper().removeprefix(prefix))
    if not receipt_number.upper().startswith(prefix) or match is None:
        return
    sql.raise_receipt_counter(tenant=tenant, device_id=device.pk, number=int(match.group()))


_SERIES_NUMBER = re.compile(r"[0-9]{1,18}")


def _series_prefix(branch_code: str, device_code: str) -> str:
    return f"{branch_code}-{device_code}-".upper()


def record_sale(
    *,
    tenant: Tenant,
    actor: User,
    shift: Shift,
    cart: Cart,
    settlement: Settlement,
    receipt_number: str,
    sold_at: datetime,
    origin: str = Sale.Origin.ONLINE,
    client_id: uuid.UUID | None = None,
    allow_negative: bool | None = None,
) -> Sale:
    """Write the sale, its lines and payments and take its stock, in the caller's transaction.

    The stock moves first: a sale refused for stock has written nothing, and the captured
    moving-average cost is known before the lines are saved. A drawer or a cost total beyond
    what its column holds is refused first (limits.py; price_cart and settle check the rest).
    """
    limits.check_drawer_after_sale(tenant=tenant, shift=shift, settlement=settlement)
    sale_id = uuid.uuid4()
    _take_stock(
        tenant=tenant,
        actor=actor,
        shift=shift,
        cart=cart,
        reference=f"sale:{sale_id}",
        allow_negative=allow_negative,
    )
    cost_total = limits.check_cost_total(cart.lines)
    sale = Sale.objects.create(
        id=sale_id,
        tenant=tenant,
        branch_id=shift.branch_id,
        device_id=shift.device_id,
        shift=shift,
        cashier=actor,
        receipt_number=receipt_number,
        origin=origin,
        client_id=client_id,
        sold_at=sold_at,
        currency=tenant.currency,
        subtotal=cart.sum_of("gross"),
        discount_total=cart.sum_of("discount"),
        tax_total=cart.sum_of("tax"),
        total=cart.sum_of("total"),
        paid=settlement.paid,
        change_due=settlement.change_due,
        cost_total=cost_total,
        needs_review=bool(cart.review_reasons),
        review_reasons=cart.review_reasons,
    )
    record_day_change(tenant=tenant, branch=shift.branch, moment=sold_at)
    for line in cart.lines:
        line.sale = sale
    for payment in settlement.payments:
        payment.sale = sale
    # Seed the prefetch cache, so the caller serializes the sale without reading it back.
    sale._prefetched_objects_cache = {  # type: ignore[attr-defined]  # Django's, not in its stubs
        "lines": SaleLine.objects.bulk_create(cart.lines),
        "payments": Payment.objects.bulk_create(settlement.payments),
    }
    audit_trail.record_line_exceptions(
        tenant=tenant, actor=actor, sale=sale, lines=cart.lines, approvers=cart.approvers
    )
    return sale


def _take_stock(
    *, tenant: Tenant, actor: User, shift: Shift, cart: Cart, reference: str, allow_negative: bool | None
) -> None:
    """Decrement the tracked lines and capture each one's unit cost (untracked lines cost 0)."""
    tracked = [line for line in cart.lines if line.product.track_stock]
    if not tracked:
        return
    costs = stock_decrement(
        tenant=tenant,
        actor=actor,
        branch=shift.branch,
        lines=[{"product": line.product, "quantity": line.quantity} for line in tracked],
        kind=StockMovement.Kind.SALE,
        reference=reference,
        allow_negative=allow_negative,
        pointers=[f"/lines/{line.position}" for line in tracked],
        savepoint=False,
    )
    for line, cost in zip(tracked, costs, strict=True):
        line.unit_cost = cost
