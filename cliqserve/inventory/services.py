"""Writes to stock: receipts, adjustments, the decrement other apps call, transfers, reorder
levels and low-stock notices. Each is one transaction (the low-stock notice, two short ones,
its email sent afterwards through the outbox).

Every change of stock goes through `_apply_changes` (a sale's decrement that may not go
negative goes, on PostgreSQL, through `_guarded_decrement`: the same rules and lock order, with
no rows to create and the lock and update in one statement), which
  1. creates the missing `StockLevel` rows (INSERT ... ON CONFLICT DO NOTHING), in key order;
  2. locks the affected rows with SELECT ... FOR UPDATE ORDER BY product_id, branch_id;
  3. applies the changes to the locked rows, and appends one `StockMovement` per change.
So a level always equals the sum of its ledger, no update is ever lost, and two operations on
overlapping rows wait for each other in one fixed order instead of deadlocking. A transaction
takes its stock locks in one batch; the only lock taken before them is the transfer row, and
every transfer operation takes that first.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cliqserve.accounts.models import User
from cliqserve.accounts.roles import Role
from cliqserve.core import outbox
from cliqserve.core.errors import Conflict, InvalidInput
from cliqserve.core.money import QUANTITY_PLACES, quantize_cost, quantize_quantity
from cliqserve.core.services import refuse_unknown_fields

from .costing import moving_average
from .errors import InsufficientStock, Shortage
from .models import StockLevel, StockMovement, StockTransfer, StockTransferLine
from .policies import require_branch_manager
from .selectors import TRANSFER_LINE_ORDER

if TYPE_CHECKING:
    from cliqserve.catalog.models import Product
    from cliqserve.core.models import OutboxMessage
    from cliqserve.tenants.models import Branch, Tenant

logger = logging.getLogger("cliqserve.inventory")

Kind = StockMovement.Kind
Status = StockTransfer.Status

# quantity_field() holds 14 digits, 3 of them decimals: a level must stay below this.
MAX_QUANTITY = Decimal(10) ** (14 - QUANTITY_PLACES)
# The lowest quantity a level's column can hold.
_LOWEST_QUANTITY = -(MAX_QUANTITY - Decimal(1).scaleb(-QUANTITY_PLACES))
# Kinds another app may record through stock_decrement().
DECREMENT_KINDS = frozenset({Kind.SALE, Kind.ADJUSTMENT})
# Kinds another app may record through stock_return().
RETURN_KINDS = frozenset({Kind.REFUND, Kind.VOID})


class ReceiptLine(TypedDict):
    product: Product
    quantity: Decimal
    unit_cost: Decimal


class StockLine(TypedDict):
    product: Product
    quantity: Decimal


# --- The one way stock changes ----------------------------------------------------------------


@dataclass(frozen=True)
class _Change:
    """One change to one (branch, product) level, as the request described it."""

    branch: Branch
    product: Product
    kind: str
    quantity: Decimal | None = None  # signed delta
    counted: Decimal | None = None  # a count: the delta is counted - on hand, under the lock
    unit_cost: Decimal | None = None  # inbound at a known cost (moves the average); None: at average
    pointer: str | None = None  # JSON pointer of the request line ("/lines/0", "" for the body)
    quantity_field: str = "quantity"
    reason: str = ""

    @property
    def delta(self) -> Decimal:
        if self.quantity is None:
            raise ValueError("a change is a delta (quantity) or a count (counted)")
        return self.quantity

    @property
    def key(self) -> tuple[uuid.UUID, uuid.UUID]:
        return (self.product.pk, self.branch.pk)

    def field_pointer(self, field: str) -> str | None:
        return None if self.pointer is None else f"{self.pointer}/{field}"


def _apply_changes(
    *,
    tenant: Tenant,
    actor: User | None,
    changes: Sequence[_Change],
    reference: str,
    allow_negative: bool,
) -> list[StockMovement]:
    """Apply `changes` in order under the level locks; one movement per change, same order.

    Runs inside the caller's transaction. Nothing is written unless every change is allowed.
    """
    _refuse_foreign_or_untracked(tenant, changes)
    # A plain decrement that may not go negative needs no new level rows: a product with no
    # level has nothing on hand and is simply short. Sales take this path: one query fewer.
    only_guarded_decrements = not allow_negative and all(
        change.counted is None and change.delta < 0 for change in changes
    )
    levels = _lock_levels(tenant=tenant, changes=changes, create_missing=not only_guarded_decrements)
    now = timezone.now()
    movements: list[StockMovement] = []
    shortages: list[Shortage] = []
    for change in changes:
        level = levels.get(change.key)
        if level is None:  # only when no row was created: a guarded decrement of nothing
            shortages.append(_shortage(change, available=Decimal(0), requested=-change.delta))
            continue
        movement, shortage = _move(level, change, allow_negative=allow_negative)
        movement.tenant, movement.actor, movement.reference = tenant, actor, reference
        level.updated_at = now
        movements.append(movement)
        if shortage is not None:
            shortages.append(shortage)
    if shortages:
        raise InsufficientStock(shortages)
    StockLevel.objects.bulk_update(levels.values(), ["quantity", "average_cost", "updated_at"])
    return StockMovement.objects.bulk_create(movements)


def _guarded_decrement(
    *, tenant: Tenant, actor: User | None, changes: Sequence[_Change], reference: str
) -> list[StockMovement]:
    """`_apply_changes` for decrements that may not go negative, with one statement where the
    general path needs two: lock the levels in key order and take each product's total off,
    returning what is left. It is the checkout's hot path: the stock rows every till shares
    stay locked that much shorter (see bench/README.md). If any line is short, nothing of it
    stands: InsufficientStock names each short line as `_apply_changes` would, and the caller's
    transaction (or this function's savepoint) rolls the decrement back."""
    _refuse_foreign_or_untracked(tenant, changes)
    branch = changes[0].branch
    if any(change.branch.pk != branch.pk for change in changes):
        raise ValueError("a guarded decrement takes stock from one branch")
    wanted: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for change in changes:
        wanted[change.product.pk] -= change.delta
        if wanted[change.product.pk] >= MAX_QUANTITY:  # more than any level can ever hold
            raise _beyond_records(change)
    left = _take(tenant=tenant, branch=branch, wanted=wanted)
    for change in changes:
        if left.get(change.product.pk, (None,))[0] == _LOWEST_QUANTITY:  # floored: see _take
            raise _beyond_records(change)
    on_hand = {product_id: quantity + wanted[product_id] for product_id, (quantity, _) in left.items()}
    if shortages := _shortages(changes, on_hand=on_hand):
        raise InsufficientStock(shortages)
    movements = [
        StockMovement(
            tenant=tenant,
            branch=change.branch,
            product=change.product,
            kind=change.kind,
            quantity=change.delta,
            unit_cost=left[change.product.pk][1],  # a decrement leaves the average as it was
            actor=actor,
            reference=reference,
        )
        for change in changes
    ]
    return StockMovement.objects.bulk_create(movements)


def _beyond_records(change: _Change) -> InvalidInput:
    return InvalidInput(
        _("This would take stock beyond what can be recorded."),
        pointer=change.field_pointer(change.quantity_field),
    )


def _take(
    *, tenant: Tenant, branch: Branch, wanted: dict[uuid.UUID, Decimal]
) -> dict[uuid.UUID, tuple[Decimal, Decimal]]:
    """Take `wanted` (product id: quantity) off the branch's levels; each level's quantity left
    and average cost (a product without a level is absent). The MATERIALIZED CTE locks the rows
    in product order, as every other stock write does, so none deadlocks with it. The UPDATE
    tests nothing but the row's identity: a row changed since the statement began is updated
    in its latest committed version (READ COMMITTED re-evaluates it), whereas a test such as
    `quantity >= wanted` would be judged on the version the statement first saw. A level
    already far below zero (offline sales) is kept from overflowing its column: what is left is
    floored at the lowest value it can hold, which the caller refuses as out of range."""
    table = StockLevel._meta.db_table
    rows = ", ".join(["(%s::uuid, %s::numeric)"] * len(wanted))
    # Table name from the model, placeholders only; every value is a bound parameter.
    sql = f"""
        WITH wanted (product_id, quantity) AS (VALUES {rows}),
        locked AS MATERIALIZED (
            SELECT level.id FROM {table} AS level
            WHERE level.tenant_id = %s AND level.branch_id = %s
              AND level.product_id IN (SELECT product_id FROM wanted)
            ORDER BY level.product_id
            FOR UPDATE
        )
        UPDATE {table} AS level
        SET quantity = GREATEST(level.quantity - wanted.quantity, %s), updated_at = %s
        FROM wanted
        WHERE level.id IN (SELECT id FROM locked) AND level.product_id = wanted.product_id
        RETURNING level.product_id, level.quantity, level.average_cost
    """  # noqa: S608  # nosec B608
    params: list[Any] = [value for item in sorted(wanted.items()) for value in item]
    params += [tenant.pk, branch.pk, _LOWEST_QUANTITY, timezone.now()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {product_id: (quantity, cost) for product_id, quantity, cost in cursor.fetchall()}


def _shortages(changes: Sequence[_Change], *, on_hand: dict[uuid.UUID, Decimal]) -> list[Shortage]:
    """Each line that `on_hand` (product id: quantity before the changes) cannot cover, as the
    lines before it left it; a product with no level has nothing on hand."""
    remaining = dict(on_hand)
    shortages = []
    for change in changes:
        available = remaining.get(change.product.pk, Decimal(0))
        remaining[change.product.pk] = available + change.delta
        if available + change.delta < 0:
            shortages.append(_shortage(change, available=available, requested=-change.delta))
    return shortages


def _refuse_foreign_or_untracked(tenant: Tenant, changes: Iterable[_Change]) -> None:
    for change in changes:
        if change.branch.tenant_id != tenant.pk:
            raise InvalidInput(_("Unknown branch."), pointer="/branch")
        if change.product.tenant_id != tenant.pk:
            raise InvalidInput(_("Unknown product."), pointer=change.field_pointer("product"))
        if not change.product.track_stock:
            raise InvalidInput(
                _("%(sku)s does not track stock.") % {"sku": change.product.sku},
                pointer=change.field_pointer("product"),
            )


def _lock_levels(
    *, tenant: Tenant, changes: Iterable[_Change], create_missing: bool = True
) -> dict[tuple[uuid.UUID, uuid.UUID], StockLevel]:
    keys = sorted({change.key for change in changes})
    if create_missing:
        # Missing rows are created in the order they are then locked in, so two transactions
        # that create the same new rows wait for each other in that one order too.
        StockLevel.objects.bulk_create(
            [
                StockLevel(tenant=tenant, product_id=product_id, branch_id=branch_id)
                for product_id, branch_id in keys
            ],
            ignore_conflicts=True,
        )
    products_by_branch: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for product_id, branch_id in keys:
        products_by_branch[branch_id].append(product_id)
    pairs = reduce(
        or_, (Q(branch_id=branch_id, product_id__in=ids) for branch_id, ids in products_by_branch.items())
    )
    locked = (
        StockLevel.objects.select_for_update()
        .filter(pairs, tenant=tenant)
        .order_by("product_id", "branch_id")
    )
    return {(level.product_id, level.branch_id): level for level in locked}


def _move(
    level: StockLevel, change: _Change, *, allow_negative: bool
) -> tuple[StockMovement, Shortage | None]:
    """Apply one change to the locked `level` in memory; the movement and any shortage."""
    before = level.quantity
    delta = quantize_quantity(change.counted - before if change.counted is not None else change.delta)
    unit_cost = level.average_cost if change.unit_cost is None else quantize_cost(change.unit_cost)
    if delta > 0 and change.unit_cost is not None:
        level.average_cost = moving_average(
            on_hand=before, average=level.average_cost, quantity_in=delta, unit_cost=unit_cost
        )
    level.quantity = before + delta
    if abs(level.quantity) >= MAX_QUANTITY:
        raise InvalidInput(
            _("This would take stock beyond what can be recorded."),
            pointer=change.field_pointer(change.quantity_field),
        )
    shortage = None
    if delta < 0 and level.quantity < 0 and not allow_negative:
        shortage = _shortage(change, available=before, requested=-delta)
    movement = StockMovement(
        branch=change.branch,
        product=change.product,
        kind=change.kind,
        quantity=delta,
        unit_cost=unit_cost,
        reason=change.reason,
    )
    return movement, shortage


def _shortage(change: _Change, *, available: Decimal, requested: Decimal) -> Shortage:
    return Shortage(
        product=change.product,
        branch=change.branch,
        available=available,
        requested=requested,
        pointer=change.field_pointer(change.quantity_field),
    )


# --- Input rules shared by the entry points ---------------------------------------------------


def _positive(value: Decimal, pointer: str | None) -> Decimal:
    quantity = quantize_quantity(value)
    if quantity <= 0:
        raise InvalidInput(_("Must be greater than zero."), pointer=pointer)
    return quantity


def _not_negative_cost(value: Decimal, pointer: str | None) -> Decimal:
    if value < 0:
        raise InvalidInput(_("Must not be negative."), pointer=pointer)
    return quantize_cost(value)


def _require_lines(lines: Sequence[Any]) -> None:
    if not lines:
        raise InvalidInput(_("Give at least one line."), pointer="/lines")


def _refuse_duplicate_products(lines: Sequence[StockLine] | Sequence[ReceiptLine]) -> None:
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


# --- Receipts, adjustments, decrements ----------------------------------------------------------


@transaction.atomic
def stock_receipt_create(
    *, tenant: Tenant, actor: User, branch: Branch, lines: Sequence[ReceiptLine], reference: str = ""
) -> list[StockMovement]:
    """Goods in from a supplier: stock rises and each product's average cost moves."""
    require_branch_manager(actor, branch.pk)
    _require_lines(lines)
    _refuse_duplicate_products(lines)
    changes = [
        _Change(
            branch=branch,
            product=line["product"],
            kind=Kind.RECEIPT,
            quantity=_positive(line["quantity"], f"/lines/{index}/quantity"),
            unit_cost=_not_negative_cost(line["unit_cost"], f"/lines/{index}/unit_cost"),
            pointer=f"/lines/{index}",
        )
        for index, line in enumerate(lines)
    ]
    return _apply_changes(
        tenant=tenant, actor=actor, changes=changes, reference=reference, allow_negative=True
    )


def _adjustment_change(
    *,
    branch: Branch,
    product: Product,
    quantity_delta: Decimal | None,
    counted_quantity: Decimal | None,
    reason: str,
) -> _Change:
    common: dict[str, Any] = {"branch": branch, "product": product, "pointer": "", "reason": reason}
    if quantity_delta is not None and counted_quantity is None:
        delta = quantize_quantity(quantity_delta)
        if delta == 0:
            raise InvalidInput(_("Must not be zero."), pointer="/quantity_delta")
        return _Change(kind=Kind.ADJUSTMENT, quantity=delta, quantity_field="quantity_delta", **common)
    if counted_quantity is not None and quantity_delta is None:
        if counted_quantity < 0:
            raise InvalidInput(_("Must not be negative."), pointer="/counted_quantity")
        return _Change(kind=Kind.COUNT, counted=quantize_quantity(counted_quantity), **common)
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
    [movement] = _apply_changes(
        tenant=tenant,
        actor=actor,
        changes=[change],
        reference="",
        allow_negative=tenant.allow_negative_stock,
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
    _require_lines(lines)
    changes = [
        _Change(
            branch=branch,
            product=line["product"],
            kind=kind,
            quantity=-_positive(line["quantity"], f"{pointer}/quantity"),
            pointer=pointer,
        )
        for line, pointer in zip(lines, pointers, strict=True)
    ]
    if not allow_negative and connection.vendor == "postgresql":
        movements = _guarded_decrement(tenant=tenant, actor=actor, changes=changes, reference=reference)
        return [movement.unit_cost for movement in movements]
    movements = _apply_changes(
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
    _require_lines(lines)
    changes = [
        _Change(
            branch=branch,
            product=line["product"],
            kind=kind,
            quantity=_positive(line["quantity"], f"/lines/{index}/quantity"),
            unit_cost=_not_negative_cost(line["unit_cost"], f"/lines/{index}/unit_cost"),
            pointer=f"/lines/{index}",
        )
        for index, line in enumerate(lines)
    ]
    # An increase never needs the negative-stock allowance.
    return _apply_changes(
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


# --- Transfers ----------------------------------------------------------------------------------

TRANSFER_FIELDS = frozenset({"from_branch", "to_branch", "reference"})


def _transfer_reference(transfer: StockTransfer) -> str:
    return f"transfer:{transfer.pk}"


def _check_transfer_branches(tenant: Tenant, transfer: StockTransfer) -> None:
    for field in ("from_branch", "to_branch"):
        if getattr(transfer, field).tenant_id != tenant.pk:
            raise InvalidInput(_("Unknown branch."), pointer=f"/{field}")
    if transfer.from_branch_id == transfer.to_branch_id:
        raise InvalidInput(_("A transfer goes to another branch."), pointer="/to_branch")


def _set_lines(tenant: Tenant, transfer: StockTransfer, lines: Sequence[StockLine]) -> None:
    _require_lines(lines)
    _refuse_duplicate_products(lines)
    new_lines = []
    for index, line in enumerate(lines):
        product = line["product"]
        if product.tenant_id != tenant.pk:
            raise InvalidInput(_("Unknown product."), pointer=f"/lines/{index}/product")
        if not product.track_stock:
            raise InvalidInput(
                _("%(sku)s does not track stock.") % {"sku": product.sku}, pointer=f"/lines/{index}/product"
            )
        quantity = _positive(line["quantity"], f"/lines/{index}/quantity")
        if quantity >= MAX_QUANTITY:
            raise InvalidInput(_("Too large."), pointer=f"/lines/{index}/quantity")
        new_lines.append(
            StockTransferLine(tenant=tenant, transfer=transfer, product=product, quantity=quantity)
        )
    StockTransferLine.objects.filter(tenant=tenant, transfer=transfer).delete()
    StockTransferLine.objects.bulk_create(new_lines)


def _lock_transfer(tenant: Tenant, transfer: StockTransfer) -> StockTransfer:
    """The transfer row, locked: two sends (or a send and a cancel) of one transfer serialize
    here, and the second sees the state the first left."""
    locked: StockTransfer = (
        StockTransfer.objects.select_for_update(of=("self",))
        .select_related("from_branch", "to_branch")
        .get(tenant=tenant, pk=transfer.pk)
    )
    return locked


def _require_status(transfer: StockTransfer, allowed: Iterable[str], *, action: str) -> None:
    if transfer.status not in allowed:
        raise Conflict(
            _("This transfer is %(status)s: it cannot be %(action)s.")
            % {"status": transfer.status, "action": action},
            meta={"status": transfer.status},
        )


def _transfer_lines(transfer: StockTransfer) -> list[StockTransferLine]:
    """The lines in the order the API shows them (JSON pointers into them use this order)."""
    return list(
        StockTransferLine.objects.filter(tenant_id=transfer.tenant_id, transfer=transfer)
        .select_related("product")
        .order_by(*TRANSFER_LINE_ORDER)
    )


@transaction.atomic
def stock_transfer_create(
    *,
    tenant: Tenant,
    actor: User,
    from_branch: Branch,
    to_branch: Branch,
    lines: Sequence[StockLine],
    reference: str = "",
) -> StockTransfer:
    """A draft: nothing moves until it is sent."""
    require_branch_manager(actor, from_branch.pk)
    transfer = StockTransfer(
        tenant=tenant, from_branch=from_branch, to_branch=to_branch, reference=reference, created_by=actor
    )
    _check_transfer_branches(tenant, transfer)
    transfer.save()
    _set_lines(tenant, transfer, lines)
    return transfer


@transaction.atomic
def stock_transfer_update(
    *,
    tenant: Tenant,
    actor: User,
    transfer: StockTransfer,
    lines: Sequence[StockLine] | None = None,
    **fields: Any,
) -> StockTransfer:
    """Edit a draft; `lines`, when given, replace the transfer's lines."""
    refuse_unknown_fields(fields, allowed=TRANSFER_FIELDS)
    transfer = _lock_transfer(tenant, transfer)
    require_branch_manager(actor, transfer.from_branch_id)
    _require_status(transfer, {Status.DRAFT}, action=_("edited"))
    for name, value in fields.items():
        setattr(transfer, name, value)
    # A manager may not move a transfer out of its branch into one it does not manage.
    require_branch_manager(actor, transfer.from_branch_id)
    _check_transfer_branches(tenant, transfer)
    transfer.save()
    if lines is not None:
        _set_lines(tenant, transfer, lines)
    return transfer


def _line_changes(
    lines: Sequence[StockTransferLine], *, branch: Branch, kind: str, sign: int
) -> list[_Change]:
    inbound = sign > 0
    return [
        _Change(
            branch=branch,
            product=line.product,
            kind=kind,
            quantity=sign * line.quantity,
            unit_cost=line.unit_cost if inbound else None,
            pointer=f"/lines/{index}",
        )
        for index, line in enumerate(lines)
    ]


@transaction.atomic
def stock_transfer_send(*, tenant: Tenant, actor: User, transfer: StockTransfer) -> StockTransfer:
    """draft -> sent: the stock leaves the sending branch at its average cost, which each line
    keeps so that the goods arrive (or come back) valued as they left."""
    transfer = _lock_transfer(tenant, transfer)
    require_branch_manager(actor, transfer.from_branch_id)
    _require_status(transfer, {Status.DRAFT}, action=_("sent"))
    lines = _transfer_lines(transfer)
    changes = _line_changes(lines, branch=transfer.from_branch, kind=Kind.TRANSFER_OUT, sign=-1)
    movements = _apply_changes(
        tenant=tenant,
        actor=actor,
        changes=changes,
        reference=_transfer_reference(transfer),
        allow_negative=tenant.allow_negative_stock,
    )
    now = timezone.now()
    for line, movement in zip(lines, movements, strict=True):
        line.unit_cost, line.updated_at = movement.unit_cost, now
    StockTransferLine.objects.bulk_update(lines, ["unit_cost", "updated_at"])
    transfer.status, transfer.sent_at = Status.SENT, now
    transfer.save(update_fields=["status", "sent_at", "updated_at"])
    return transfer


def _bring_in(*, tenant: Tenant, actor: User, transfer: StockTransfer, branch: Branch) -> None:
    """A sent transfer's goods enter `branch` (the receiver, or the sender on cancel) at the
    cost they left with. An increase never needs the negative-stock allowance."""
    changes = _line_changes(_transfer_lines(transfer), branch=branch, kind=Kind.TRANSFER_IN, sign=1)
    _apply_changes(
        tenant=tenant,
        actor=actor,
        changes=changes,
        reference=_transfer_reference(transfer),
        allow_negative=True,
    )


@transaction.atomic
def stock_transfer_receive(*, tenant: Tenant, actor: User, transfer: StockTransfer) -> StockTransfer:
    """sent -> received: the stock arrives at the cost it left with (moving average applies)."""
    transfer = _lock_transfer(tenant, transfer)
    require_branch_manager(actor, transfer.to_branch_id)
    _require_status(transfer, {Status.SENT}, action=_("received"))
    _bring_in(tenant=tenant, actor=actor, transfer=transfer, branch=transfer.to_branch)
    transfer.status, transfer.received_at = Status.RECEIVED, timezone.now()
    transfer.save(update_fields=["status", "received_at", "updated_at"])
    return transfer


@transaction.atomic
def stock_transfer_cancel(
    *, tenant: Tenant, actor: User, transfer: StockTransfer, drafts_only: bool = False
) -> StockTransfer:
    """draft or sent -> cancelled. A sent transfer's stock returns to the sending branch at the
    cost it left with. `drafts_only` is DELETE's rule: it never moves stock."""
    transfer = _lock_transfer(tenant, transfer)
    require_branch_manager(actor, transfer.from_branch_id)
    allowed = {Status.DRAFT} if drafts_only else {Status.DRAFT, Status.SENT}
    _require_status(transfer, allowed, action=_("cancelled"))
    if transfer.status == Status.SENT:
        _bring_in(tenant=tenant, actor=actor, transfer=transfer, branch=transfer.from_branch)
    transfer.status = Status.CANCELLED
    transfer.save(update_fields=["status", "updated_at"])
    return transfer


# --- Low stock ----------------------------------------------------------------------------------


def _clear_recovered_notices(tenant: Tenant) -> int:
    """Levels back above their reorder level may notify again on their next dip."""
    with transaction.atomic():
        # SKIP LOCKED: a row a stock operation holds is left for the next run rather than
        # waited for, so this job never joins a lock queue (or a deadlock) with a sale.
        ids = list(
            StockLevel.objects.select_for_update(skip_locked=True)
            .filter(tenant=tenant, low_stock_notified_at__isnull=False, quantity__gt=F("reorder_level"))
            .values_list("id", flat=True)
        )
        return StockLevel.objects.filter(tenant=tenant, id__in=ids).update(low_stock_notified_at=None)


def _low_stock_email(tenant: Tenant, levels: Sequence[StockLevel]) -> tuple[str, str]:
    with translation.override(tenant.default_language):
        subject = _("Low stock at %(tenant)s: %(count)s products at or below their reorder level") % {
            "tenant": tenant.name,
            "count": len(levels),
        }
        rows = [
            _("%(branch)s  %(sku)s  %(name)s: %(quantity)s in stock, reorder level %(reorder)s")
            % {
                "branch": level.branch.code,
                "sku": level.product.sku,
                "name": level.product.safe_translation_getter(
                    "name", language_code=tenant.default_language, any_language=True
                ),
                "quantity": level.quantity,
                "reorder": level.reorder_level,
            }
            for level in levels
        ]
    return subject, "\n".join(rows) + "\n"


LOW_STOCK_MAIL = "inventory.low_stock_mail"


def low_stock_notify(*, tenant: Tenant) -> int:
    """Mark each level that has fallen to or below its reorder level since the last notice,
    log one line per level, and queue one email about them to the tenant's active admins.
    Returns how many levels were newly marked.

    The marks and the queued email (an outbox message) commit together, in one short
    transaction: the email goes out after it (`low_stock_mail_send`), so no stock row is
    locked while a mail server takes its time, and a failing mail server is retried by the
    outbox without marking the levels again (each dip is notified once).
    """
    _clear_recovered_notices(tenant)
    with transaction.atomic():
        levels = list(
            StockLevel.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                tenant=tenant,
                reorder_level__gt=0,
                quantity__lte=F("reorder_level"),
                low_stock_notified_at__isnull=True,
            )
            .select_related("branch", "product")
            .prefetch_related("product__translations")
            .order_by("branch__code", "product__sku")
        )
        if not levels:
            return 0
        for level in levels:
            _log_low_stock(tenant, level)
        now = timezone.now()
        StockLevel.objects.filter(tenant=tenant, id__in=[level.pk for level in levels]).update(
            low_stock_notified_at=now
        )
        subject, body = _low_stock_email(tenant, levels)
        outbox.enqueue(
            topic=LOW_STOCK_MAIL,
            tenant_id=tenant.pk,
            payload={"subject": subject, "body": body},
            key=_low_stock_key(levels, now),
        )
        return len(levels)


def _log_low_stock(tenant: Tenant, level: StockLevel) -> None:
    logger.info(
        "low stock",
        extra={
            "event": "low_stock",
            "tenant_id": str(tenant.pk),
            "branch_id": str(level.branch_id),
            "product_id": str(level.product_id),
            "quantity": str(level.quantity),
            "reorder_level": str(level.reorder_level),
        },
    )


def _low_stock_key(levels: Sequence[StockLevel], marked_at: datetime) -> str:
    """The notice's identity: these levels, marked at that moment. Two runs at once mark
    disjoint levels (SKIP LOCKED), so their keys differ even at the same instant."""
    digest = hashlib.sha256()
    for level_id in sorted(str(level.pk) for level in levels):
        digest.update(level_id.encode())
    return f"low-stock:{marked_at.isoformat()}:{digest.hexdigest()[:32]}"


def low_stock_mail_send(message: OutboxMessage) -> None:
    """Outbox handler of LOW_STOCK_MAIL: email the notice to the tenant's active admins, as they
    are when it goes out (none: nothing to send). A repeat delivery carries the same Message-ID,
    derived from the outbox message, so mail clients can show it once."""
    recipients = list(
        User.objects.filter(tenant_id=message.tenant_id, role=Role.TENANT_ADMIN, is_active=True)
        .order_by("email")
        .values_list("email", flat=True)
    )
    if not recipients:
        logger.info("low stock notice has no recipients", extra={"tenant_id": str(message.tenant_id)})
        return
    EmailMessage(
        subject=message.payload["subject"],
        body=message.payload["body"],
        to=recipients,
        headers={"Message-ID": f"<outbox.{message.pk}@{DNS_NAME}>"},
    ).send()
