"""Stock in and out at one branch: receipts, adjustments and counts, the decrement and return
other apps call (sales, refunds, voids), and the reorder level. Each is one transaction; every
change goes through the ledger (ledger.py)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from cliqserve.core import audit
from cliqserve.core.errors import InvalidInput
from cliqserve.core.money import quantize_quantity

from .. import sql
from ..models import StockLevel, StockMovement
from ..policies import require_branch_manager
from .ledger import Change, apply_changes, guarded_decrement
from .validation import (
    ReceiptLine,
    StockLine,
    not_negative_cost,
    positive_quantity,
    refuse_duplicate_products,
    require_lines,
)

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.catalog.models import Product
    from cliqserve.tenants.models import Branch, Tenant

Kind = StockMovement.Kind

# Kinds another app may record through stock_decrement().
DECREMENT_KINDS = frozenset({Kind.SALE, Kind.ADJUSTMENT})
# Kinds another app may record through stock_return().
RETURN_KINDS = frozenset({Kind.REFUND, Kind.VOID})


@transaction.atomic
def stock_receipt_create(
    *, tenant: Tenant, actor: User, branch: Branch, lines: Sequence[ReceiptLine], reference: str = ""
) -> list[StockMovement]:
    """Goods in from a supplier: stock rises and each product's average cost moves."""
    require_branch_manager(actor, branch.pk)
    require_lines(lines)
    refuse_duplicate_products(lines)
    changes = _incoming_changes(lines, branch=branch, kind=Kind.RECEIPT)
    return apply_changes(
        tenant=tenant, actor=actor, changes=changes, reference=reference, allow_negative=True
    )


def _adjustment_change(
    *,
    branch: Branch,
    product: Product,
    quantity_delta: Decimal | None,
    counted_quantity: Decimal | None,
    reason: str,
) -> Change:
    common: dict[str, Any] = {"branch": branch, "product": product, "pointer": "", "reason": reason}
    if quantity_delta is not None and counted_quantity is None:
        delta = quantize_quantity(quantity_delta)
        if delta == 0:
            raise InvalidInput(_("Must not be zero."), pointer="/quantity_delta")
        return Change(kind=Kind.ADJUSTMENT, quantity=delta, quantity_field="quantity_delta", **common)
    if counted_quantity is not None and quantity_delta is None:
        if counted_quantity < 0:
            raise InvalidInput(_("Must not be negative."), pointer="/counted_quantity")
        return Change(kind=Kind.COUNT, counted=quantize_quantity(counted_quantity), **common)
    raise InvalidInput(_("Give exactly one of quantity_delta and counted_quantity."))


@transaction.atomic
def stock_adjustment_create(
    *,
    tenant: Tenant,
    actor: User,
    branch: Branch,
    product: Product,
    quantity_delta: Decimal | None = None,
    counted_quantity: Decimal | None = None,
    reason: str = "",
) -> StockMovement:
    """A correction by a delta (`adjustment`), or a stock count that sets the level to what
    was counted (a `count` movement of counted - on hand, computed under the lock, so a sale
    that commits meanwhile is neither lost nor counted twice)."""
    require_branch_manager(actor, branch.pk)
    change = _adjustment_change(
        branch=branch,
        product=product,
        quantity_delta=quantity_delta,
        counted_quantity=counted_quantity,
        reason=reason,
    )
    with transaction.atomic():
        [movement] = apply_changes(
            tenant=tenant,
            actor=actor,
            changes=[change],
            reference="",
            allow_negative=tenant.allow_negative_stock,
        )
        counted = {} if counted_quantity is None else {"counted_quantity": [None, counted_quantity]}
        audit.record(
            action="stock_counted" if counted else "stock_adjusted",
            tenant_id=tenant.pk,
            actor=actor,
            target=product,
            object_repr=f"{product.sku} @ {branch.code}",
            changes={
                "branch": [None, branch.pk],
                **counted,
                "quantity_delta": [None, movement.quantity],
                "reason": ["", reason],
            },
        )
    return movement


def stock_decrement(
    *,
    tenant: Tenant,
    actor: User | None,
    branch: Branch,
    lines: Sequence[StockLine],
    kind: str,
    reference: str = "",
    allow_negative: bool | None = None,
    pointers: Sequence[str] | None = None,
    savepoint: bool = True,
) -> list[Decimal]:
    """Take stock out for another app (a sale): one movement per line, in line order.

    Returns each line's unit cost — the average cost at that moment — for the caller to keep
    (the cost of goods sold of a sale line). Lines may repeat a product; each sees the stock
    the lines before it left. Refuses with InsufficientStock naming every short line unless
    negative stock is allowed (`allow_negative`, default the tenant's setting). `pointers` name
    each line in the caller's request (default "/lines/<index>"). Authorization is the
    caller's: this function checks no role. With `savepoint=False` it joins the caller's
    transaction without a savepoint (two round trips fewer per sale): a refusal then dooms that
    transaction, so only a caller that lets the error end it (the sale services) may ask for it.
    """
    if kind not in DECREMENT_KINDS:
        raise ValueError(f"stock_decrement() records {sorted(map(str, DECREMENT_KINDS))}, not {str(kind)!r}")
    with transaction.atomic(savepoint=savepoint):
        return _decrement(
            tenant=tenant,
            actor=actor,
            branch=branch,
            lines=lines,
            kind=kind,
            reference=reference,
            allow_negative=tenant.allow_negative_stock if allow_negative is None else allow_negative,
            pointers=pointers or [f"/lines/{index}" for index in range(len(lines))],
        )


def _decrement(
    *,
    tenant: Tenant,
    actor: User | None,
    branch: Branch,
    lines: Sequence[StockLine],
    kind: str,
    reference: str,
    allow_negative: bool,
    pointers: Sequence[str],
) -> list[Decimal]:
    require_lines(lines)
    changes = [
        Change(
            branch=branch,
            product=line["product"],
            kind=kind,
            quantity=-positive_quantity(line["quantity"], f"{pointer}/quantity"),
            pointer=pointer,
        )
        for line, pointer in zip(lines, pointers, strict=True)
    ]
    if not allow_negative and sql.is_postgresql():
        movements = guarded_decrement(tenant=tenant, actor=actor, changes=changes, reference=reference)
        return [movement.unit_cost for movement in movements]
    movements = apply_changes(
        tenant=tenant,
        actor=actor,
        changes=changes,
        reference=reference,
        allow_negative=allow_negative,
    )
    return [movement.unit_cost for movement in movements]


@transaction.atomic
def stock_return(
    *,
    tenant: Tenant,
    actor: User | None,
    branch: Branch,
    lines: Sequence[ReceiptLine],
    kind: str,
    reference: str = "",
) -> list[StockMovement]:
    """Sold goods come back for another app (a refund that restocks, a void): one movement per
    line, in line order, each at the cost the sale captured — so the average moves as for a
    receipt at that cost (a sale undone before any other goods came in leaves the average as
    it was). Lines may repeat a product. Authorization is the caller's: this function checks no role.
    """
    if kind not in RETURN_KINDS:
        raise ValueError(f"stock_return() records {sorted(map(str, RETURN_KINDS))}, not {str(kind)!r}")
    require_lines(lines)
    changes = _incoming_changes(lines, branch=branch, kind=kind)
    # An increase never needs the negative-stock allowance.
    return apply_changes(
        tenant=tenant, actor=actor, changes=changes, reference=reference, allow_negative=True
    )


@transaction.atomic
def stock_level_update(
    *, tenant: Tenant, actor: User, level: StockLevel, reorder_level: Decimal
) -> StockLevel:
    """Only the reorder level is writable: quantity and cost change through movements."""
    require_branch_manager(actor, level.branch_id)
    if reorder_level < 0:
        raise InvalidInput(_("Must not be negative."), pointer="/reorder_level")
    level.reorder_level = quantize_quantity(reorder_level)
    # Writes just this column: the quantity read earlier may be stale and is not written back.
    level.save(update_fields=["reorder_level", "updated_at"])
    return level


def _incoming_changes(lines: Sequence[ReceiptLine], *, branch: Branch, kind: str) -> list[Change]:
    """One change per line for goods coming in at a stated unit cost (a receipt, a return)."""
    return [
        Change(
            branch=branch,
            product=line["product"],
            kind=kind,
            quantity=positive_quantity(line["quantity"], f"/lines/{index}/quantity"),
            unit_cost=not_negative_cost(line["unit_cost"], f"/lines/{index}/unit_cost"),
            pointer=f"/lines/{index}",
        )
        for index, line in enumerate(lines)
    ]
