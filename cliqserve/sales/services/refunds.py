"""Refunds and voids: money and goods going back on a recorded sale.

A refund gives back part (or the rest) of a sale, line by line, as often as needed; a void
cancels a whole untouched sale while its shift is still open.

Both take their locks in one fixed order — the shift (FOR NO KEY UPDATE, as a sale does), the
sale, its lines by position, then the stock levels — which is the order a sale takes (shift, then
stock) and a shift's close takes (shift). So refunds, voids, sales and a close of one drawer wait
for each other instead of deadlocking, and no refund reads a line's refunded quantity that
another is about to change.

Amounts of a refund line are the sale line's, in proportion to the quantity, rounded half up
to the currency — except that a refund taking a line's last units gets exactly what remains of
it, and no refund ever gets more than remains: all refunds of a line add up to the line, and
all refunds of a sale to at most its total.

Queries of a refund (PostgreSQL), whatever its number of lines: lock the shift (1), the sale
(1) and its lines with their products (1), the earlier refunds of those lines (1, only when a
line was refunded before), what each method paid and gave back (2), write the refund, its
lines and payments (3), restock (5: which lines moved stock, then 4), update the lines and the sale (2).

Refunds and voids share their lock order, their targets and their restocking, so they stay one
module of about 400 lines; how a refund's money goes back is refund_payments.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Case, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.accounts.services import approval_use
from cliqserve.core.errors import Conflict, InvalidInput, NotPermitted
from cliqserve.core.money import quantize_cost, quantize_money, quantize_quantity
from cliqserve.inventory.models import StockMovement
from cliqserve.inventory.services import ReceiptLine, stock_return

from .. import locks, metrics, policies
from ..errors import RefundExceedsSale, ShiftNotOpen
from ..models import PaymentMethod, Refund, RefundLine, RefundPayment, Sale, SaleLine, Shift
from . import audit_trail
from .journal import record_day_change_for_sale
from .refund_payments import refund_payments
from .selling import PaymentInput

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

# The parts of a line a refund gives back, each in proportion.
AMOUNTS = ("gross", "discount", "tax", "total")
# Enough digits for amount x quantity (14 + 14) before the result is rounded to the currency.
_PRECISION = 60


@dataclass(frozen=True)
class RefundLineInput:
    sale_line_id: uuid.UUID
    quantity: Decimal


@dataclass(frozen=True)
class _Target:
    """One request line matched to its locked sale line."""

    index: int
    line: SaleLine
    quantity: Decimal


# --- Refunds --------------------------------------------------------------------------------------


def refund_create(
    *,
    tenant: Tenant,
    actor: User,
    sale: Sale,
    lines: Sequence[RefundLineInput],
    restock: bool = False,
    payments: Sequence[PaymentInput] | None = None,
    reason: str = "",
    shift_id: uuid.UUID | None = None,
    token_device_id: str | None = None,
    approval: str | None = None,
) -> Refund:
    """Give back `lines` of `sale`, paid out by `payments` (default: back to the sale's own
    methods), taking cash out of an open shift of the sale's branch; with `restock` the units go
    back into stock at the cost the sale captured. A cashier refunds its own sale with a
    manager's `approval`, out of its own drawer. Raises NotPermitted, InvalidInput,
    RefundExceedsSale (every offending line), ShiftNotOpen or Conflict (a voided sale)."""
    policies.require_may_refund(actor=actor, sale=sale, approval=approval)
    requested = _checked_inputs(lines)
    approved = policies.refund_needs_approval(actor=actor, sale=sale)
    with transaction.atomic():
        # Spent first and rolled back with a refused refund, so the cashier may try again.
        approver_id = (
            _spend(tenant=tenant, actor=actor, approval=approval, action="refund") if approved else None
        )
        shift = _lock_drawer(tenant=tenant, sale=sale, shift_id=shift_id, token_device_id=token_device_id)
        if approved:
            policies.require_own_drawer(actor=actor, shift=shift, token_device_id=token_device_id)
        sale = locks.lock_sale(tenant=tenant, sale_id=sale.pk)
        if sale.status == Sale.Status.VOIDED:
            raise Conflict(_("This sale was voided; there is nothing to refund."))
        sale_lines = locks.lock_sale_lines(tenant=tenant, sale_id=sale.pk)
        targets = _match(requested, sale_lines)
        _refuse_excess(targets)
        refund = _record_refund(
            tenant=tenant,
            actor=actor,
            sale=sale,
            shift=shift,
            targets=targets,
            payments=payments,
            restock=restock,
            reason=reason,
        )
        _mark_refunded(sale=sale, sale_lines=sale_lines, targets=targets, refund=refund)
        audit_trail.record_refund(
            tenant=tenant, actor=actor, sale=sale, refund=refund, approver_id=approver_id
        )
        transaction.on_commit(lambda: metrics.refund_recorded(refund, currency=sale.currency))
    return refund


def _spend(*, tenant: Tenant, actor: User, approval: str | None, action: str) -> uuid.UUID:
    if not approval:
        raise NotPermitted(_("This needs a manager's approval."), pointer="/approval")
    return approval_use(tenant=tenant, requester=actor, token=approval, action=action, pointer="/approval")


def _checked_inputs(lines: Sequence[RefundLineInput]) -> list[RefundLineInput]:
    """Positive quantities, one line per sale line: a second line for the same sale line is a
    client mistake more often than not."""
    if not lines:
        raise InvalidInput(_("Give at least one line."), pointer="/lines")
    seen: dict[uuid.UUID, int] = {}
    checked = []
    for index, line in enumerate(lines):
        quantity = quantize_quantity(line.quantity)
        if quantity <= 0:
            raise InvalidInput(_("Must be greater than zero."), pointer=f"/lines/{index}/quantity")
        first = seen.setdefault(line.sale_line_id, index)
        if first != index:
            raise InvalidInput(
                _("This sale line is already on line %(line)s.") % {"line": first},
                pointer=f"/lines/{index}/sale_line",
            )
        checked.append(RefundLineInput(sale_line_id=line.sale_line_id, quantity=quantity))
    return checked


def _lock_drawer(
    *, tenant: Tenant, sale: Sale, shift_id: uuid.UUID | None, token_device_id: str | None
) -> Shift | None:
    """The open shift whose drawer pays out cash, locked against a concurrent close: the one
    named in the request, else the open shift of the caller's device, else that of the sale's
    device — always a shift of the sale's branch. None when neither device has one open."""
    shifts = locks.locked_shifts(tenant)
    if shift_id is not None:
        shift = shifts.filter(pk=shift_id).first()
        if shift is None or shift.branch_id != sale.branch_id:
            raise InvalidInput(_("Unknown shift, or a shift of another branch."), pointer="/shift")
        if shift.status != Shift.Status.OPEN:
            raise ShiftNotOpen(_("This shift is closed; name an open shift of the sale's branch."))
        return shift
    devices = [device for device in (token_device_id, sale.device_id) if device]
    callers_first = Case(When(device_id=token_device_id, then=Value(0)), default=Value(1))
    return (
        shifts.filter(status=Shift.Status.OPEN, branch_id=sale.branch_id, device_id__in=devices)
        .order_by(callers_first)
        .first()
    )


def _match(requested: Sequence[RefundLineInput], sale_lines: dict[uuid.UUID, SaleLine]) -> list[_Target]:
    targets = []
    for index, line in enumerate(requested):
        sale_line = sale_lines.get(line.sale_line_id)
        if sale_line is None:
            raise InvalidInput(_("Not a line of this sale."), pointer=f"/lines/{index}/sale_line")
        targets.append(_Target(index=index, line=sale_line, quantity=line.quantity))
    return targets


def _refuse_excess(targets: Sequence[_Target]) -> None:
    """Never more than was sold minus what was already refunded, per line; names every line."""
    excess = [
        target for target in targets if target.line.refunded_quantity + target.quantity > target.line.quantity
    ]
    if not excess:
        return
    described = [
        {
            "sale_line": str(target.line.pk),
            "sold": str(target.line.quantity),
            "refunded": str(target.line.refunded_quantity),
            "requested": str(target.quantity),
            "pointer": f"/lines/{target.index}/quantity",
        }
        for target in excess
    ]
    detail = " ".join(
        _("%(sku)s: %(sold)s sold, %(refunded)s already refunded, %(requested)s requested.")
        % {"sku": target.line.sku, **entry}
        for target, entry in zip(excess, described, strict=True)
    )
    first = {key: value for key, value in described[0].items() if key != "pointer"}
    raise RefundExceedsSale(detail, pointer=described[0]["pointer"], meta={**first, "lines": described})


def _record_refund(
    *,
    tenant: Tenant,
    actor: User,
    sale: Sale,
    shift: Shift | None,
    targets: Sequence[_Target],
    payments: Sequence[PaymentInput] | None,
    restock: bool,
    reason: str,
) -> Refund:
    refund_id = uuid.uuid4()
    refund_lines = _refund_lines(tenant=tenant, refund_id=refund_id, sale=sale, targets=targets)
    totals = _refund_totals(refund_lines)
    paid_out = _paid_out(tenant=tenant, sale=sale, shift=shift, total=totals["total"], payments=payments)
    refund = Refund.objects.create(
        id=refund_id,
        tenant=tenant,
        sale=sale,
        shift=shift,
        actor=actor,
        reason=reason,
        restock=restock,
        **totals,
    )
    record_day_change_for_sale(tenant=tenant, sale=sale, moment=refund.created_at)
    for payment in paid_out:
        payment.refund = refund
    # Seed the prefetch cache, so the caller serializes the refund without reading it back.
    refund._prefetched_objects_cache = {  # type: ignore[attr-defined]  # Django's, not in its stubs
        "lines": RefundLine.objects.bulk_create(refund_lines),
        "payments": RefundPayment.objects.bulk_create(paid_out),
    }
    if restock:
        _restock(
            tenant=tenant,
            actor=actor,
            sale=sale,
            targets=targets,
            kind=StockMovement.Kind.REFUND,
            reference=f"refund:{refund.pk}",
        )
    return refund


def _refund_lines(
    *, tenant: Tenant, refund_id: uuid.UUID, sale: Sale, targets: Sequence[_Target]
) -> list[RefundLine]:
    earlier = _earlier_amounts(tenant=tenant, targets=targets)
    return [
        RefundLine(
            tenant=tenant,
            refund_id=refund_id,
            sale_line=target.line,
            quantity=target.quantity,
            unit_cost=target.line.unit_cost,
            **_line_amounts(target, earlier.get(target.line.pk, {}), sale.currency),
        )
        for target in targets
    ]


def _refund_totals(refund_lines: Sequence[RefundLine]) -> dict[str, Decimal]:
    """The refund's sums of its lines, by the Refund field they fill."""

    def total_of(name: str) -> Decimal:
        return sum((getattr(line, name) for line in refund_lines), Decimal(0))

    cost = sum((line.unit_cost * line.quantity for line in refund_lines), Decimal(0))
    return {
        "subtotal": total_of("gross"),
        "discount_total": total_of("discount"),
        "tax_total": total_of("tax"),
        "total": total_of("total"),
        "cost_total": quantize_cost(cost),
    }


def _paid_out(
    *,
    tenant: Tenant,
    sale: Sale,
    shift: Shift | None,
    total: Decimal,
    payments: Sequence[PaymentInput] | None,
) -> list[RefundPayment]:
    """The refund's payments; cash among them needs an open drawer."""
    rows = refund_payments(tenant=tenant, sale=sale, total=total, payments=payments)
    if shift is None and any(row.method == PaymentMethod.CASH for row in rows):
        raise ShiftNotOpen(_("Cash goes back from a drawer: open a shift on this branch's till first."))
    return rows


def _earlier_amounts(*, tenant: Tenant, targets: Sequence[_Target]) -> dict[uuid.UUID, dict[str, Decimal]]:
    """What earlier refunds gave back of each line, per amount (no query for lines never refunded)."""
    refunded_before = [target.line.pk for target in targets if target.line.refunded_quantity > 0]
    if not refunded_before:
        return {}
    rows = (
        RefundLine.objects.filter(tenant=tenant, sale_line_id__in=refunded_before)
        .order_by()
        .values("sale_line_id")
        .annotate(**{f"{name}_sum": Sum(name) for name in AMOUNTS})
    )
    return {row["sale_line_id"]: {name: row[f"{name}_sum"] for name in AMOUNTS} for row in rows}


def _line_amounts(target: _Target, earlier: dict[str, Decimal], currency: str) -> dict[str, Decimal]:
    line, quantity = target.line, target.quantity
    takes_the_rest = line.refunded_quantity + quantity == line.quantity
    amounts = {}
    for name in AMOUNTS:
        sold = getattr(line, name)
        remaining = sold - earlier.get(name, Decimal(0))
        if takes_the_rest:
            amounts[name] = remaining
            continue
        with localcontext() as context:
            context.prec = _PRECISION
            share = quantize_money(sold * quantity / line.quantity, currency)
        # Rounding half up, many small refunds could add up to more than the line: cap them.
        amounts[name] = min(share, remaining)
    return amounts


def _mark_refunded(
    *, sale: Sale, sale_lines: dict[uuid.UUID, SaleLine], targets: Sequence[_Target], refund: Refund
) -> None:
    """Count the refund on its lines and on the sale (both rows are locked: no update is lost)."""
    now = timezone.now()
    for target in targets:
        target.line.refunded_quantity += target.quantity
        target.line.updated_at = now
    SaleLine.objects.bulk_update([target.line for target in targets], ["refunded_quantity", "updated_at"])
    everything = all(line.refunded_quantity == line.quantity for line in sale_lines.values())
    sale.status = Sale.Status.REFUNDED if everything else Sale.Status.PARTIALLY_REFUNDED
    sale.refunded_total += refund.total
    sale.save(update_fields=["status", "refunded_total", "updated_at"])


# --- Voids ----------------------------------------------------------------------------------------


def sale_void(
    *,
    tenant: Tenant,
    actor: User,
    sale: Sale,
    reason: str,
    token_device_id: str | None = None,
    approval: str | None = None,
) -> Sale:
    """Cancel a completed, never refunded sale while its shift is open: every tracked unit goes
    back into stock at the captured cost and the sale is marked voided (the shift's report
    then leaves it out of its takings). Where the business asks for it, a cashier's void spends
    a manager's `approval`. Raises NotPermitted, ShiftNotOpen or Conflict."""
    with transaction.atomic():
        # The shift first, FOR NO KEY UPDATE like a sale: a void and a close never overlap.
        shift = locks.lock_shift(tenant=tenant, shift_id=sale.shift_id)
        policies.require_may_void(actor=actor, sale=sale, shift=shift, token_device_id=token_device_id)
        approver_id = None
        if policies.void_needs_approval(actor=actor, tenant=tenant, sale=sale):
            approver_id = _spend(tenant=tenant, actor=actor, approval=approval, action="void")
        if shift.status != Shift.Status.OPEN:
            raise ShiftNotOpen(_("This sale's shift is closed: refund it instead."))
        sale = locks.lock_sale(tenant=tenant, sale_id=sale.pk)
        if sale.status != Sale.Status.COMPLETED:
            raise Conflict(
                _("Only a completed sale with no refunds can be voided; this one is %(status)s.")
                % {"status": sale.status}
            )
        lines = locks.lock_sale_lines(tenant=tenant, sale_id=sale.pk)
        targets = [
            _Target(index=index, line=line, quantity=line.quantity)
            for index, line in enumerate(lines.values())
        ]
        _restock(
            tenant=tenant,
            actor=actor,
            sale=sale,
            targets=targets,
            kind=StockMovement.Kind.VOID,
            reference=f"void:{sale.pk}",
        )
        sale.status = Sale.Status.VOIDED
        sale.voided_at, sale.voided_by, sale.void_reason = timezone.now(), actor, reason
        sale.save(update_fields=["status", "voided_at", "voided_by", "void_reason", "updated_at"])
        audit_trail.record_void(tenant=tenant, actor=actor, sale=sale, approver_id=approver_id)
        record_day_change_for_sale(tenant=tenant, sale=sale, moment=sale.sold_at)
        transaction.on_commit(lambda: metrics.sale_voided(sale))
    return sale


# --- Stock ----------------------------------------------------------------------------------------


def _restock(
    *, tenant: Tenant, actor: User, sale: Sale, targets: Sequence[_Target], kind: str, reference: str
) -> None:
    """The units the sale took from stock back into its branch, at the cost each line captured.
    The ledger says which lines moved stock: a product tracked only since the sale gets back
    nothing it never gave. One no longer tracked keeps no stock to return to."""
    taken = _products_taken_by(tenant=tenant, sale=sale, targets=targets)
    lines: list[ReceiptLine] = [
        {"product": target.line.product, "quantity": target.quantity, "unit_cost": target.line.unit_cost}
        for target in targets
        if target.line.product_id in taken and target.line.product.track_stock
    ]
    if lines:
        stock_return(
            tenant=tenant, actor=actor, branch=sale.branch, lines=lines, kind=kind, reference=reference
        )


def _products_taken_by(*, tenant: Tenant, sale: Sale, targets: Sequence[_Target]) -> set[uuid.UUID]:
    """The products among `targets` whose stock the sale moved (one query on the ledger index)."""
    movements = StockMovement.objects.filter(
        tenant=tenant,
        branch_id=sale.branch_id,
        product_id__in={target.line.product_id for target in targets},
        kind=StockMovement.Kind.SALE,
        reference=f"sale:{sale.pk}",
    )
    return set(movements.values_list("product_id", flat=True))
