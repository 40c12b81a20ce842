"""The one way stock changes: every receipt, adjustment, count, decrement, return and transfer
goes through `apply_changes` (a sale's decrement that may not go negative goes, on PostgreSQL,
through `guarded_decrement`: the same rules and lock order, with no rows to create and the lock
and update in one statement, `sql.take_stock`), which
  1. creates the missing `StockLevel` rows (INSERT ... ON CONFLICT DO NOTHING), in key order;
  2. locks the affected rows in (product_id, branch_id) order (`locks.lock_levels`);
  3. applies the changes to the locked rows, and appends one `StockMovement` per change.
So a level always equals the sum of its ledger, no update is ever lost, and two operations on
overlapping rows wait for each other in one fixed order instead of deadlocking (locks.py).
Both run inside the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.core.errors import InvalidInput
from cliqserve.core.money import QUANTITY_PLACES, quantize_cost, quantize_quantity

from .. import sql
from ..costing import moving_average
from ..errors import InsufficientStock, Shortage
from ..locks import lock_levels
from ..models import StockLevel, StockMovement

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.catalog.models import Product
    from cliqserve.tenants.models import Branch, Tenant

# quantity_field() holds 14 digits, 3 of them decimals: a level must stay below this.
MAX_QUANTITY = Decimal(10) ** (14 - QUANTITY_PLACES)
# The lowest quantity a level's column can hold.
_LOWEST_QUANTITY = -(MAX_QUANTITY - Decimal(1).scaleb(-QUANTITY_PLACES))


@dataclass(frozen=True)
class Change:
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


def apply_changes(
    *,
    tenant: Tenant,
    actor: User | None,
    changes: Sequence[Change],
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
        movement.tenant, movement.reference = tenant, reference
        if actor is not None and getattr(actor, "is_api_key", False):  # an integration's ApiKey
            movement.api_key_id = actor.pk
        else:
            movement.actor = actor
        level.updated_at = now
        movements.append(movement)
        if shortage is not None:
            shortages.append(shortage)
    if shortages:
        raise InsufficientStock(shortages)
    StockLevel.objects.bulk_update(levels.values(), ["quantity", "average_cost", "updated_at"])
    return StockMovement.objects.bulk_create(movements)


def guarded_decrement(
    *, tenant: Tenant, actor: User | None, changes: Sequence[Change], reference: str
) -> list[StockMovement]:
    """`apply_changes` for decrements that may not go negative, with one statement where the
    general path needs two: lock the levels in key order and take each product's total off,
    returning what is left. It is the checkout's hot path: the stock rows every till shares
    stay locked that much shorter (see bench/README.md). If any line is short, nothing of it
    stands: InsufficientStock names each short line as `apply_changes` would, and the caller's
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
    left = sql.take_stock(tenant=tenant, branch=branch, wanted=wanted, floor=_LOWEST_QUANTITY)
    for change in changes:
        if left.get(change.product.pk, (None,))[0] == _LOWEST_QUANTITY:  # floored: see sql.take_stock
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


def _beyond_records(change: Change) -> InvalidInput:
    return InvalidInput(
        _("This would take stock beyond what can be recorded."),
        pointer=change.field_pointer(change.quantity_field),
    )


def _shortages(changes: Sequence[Change], *, on_hand: dict[uuid.UUID, Decimal]) -> list[Shortage]:
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


def _refuse_foreign_or_untracked(tenant: Tenant, changes: Iterable[Change]) -> None:
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
    *, tenant: Tenant, changes: Iterable[Change], create_missing: bool = True
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
    locked = lock_levels(tenant=tenant, keys=keys)
    return {(level.product_id, level.branch_id): level for level in locked}


def _move(
    level: StockLevel, change: Change, *, allow_negative: bool
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


def _shortage(change: Change, *, available: Decimal, requested: Decimal) -> Shortage:
    return Shortage(
        product=change.product,
        branch=change.branch,
        available=available,
        requested=requested,
        pointer=change.field_pointer(change.quantity_field),
    )
