"""Every row lock inventory takes, one small function each; nothing else in inventory spells
`select_for_update` (the one statement that locks inside hand-written SQL, the checkout's
`sql.take_stock`, follows the same order).

The lock order (docs/adr/0003-selling-hot-path.md, "One lock order"): a writer of a drawer or
of stock takes its locks in one order, so no two of them deadlock:

  1. the shift (`FOR NO KEY UPDATE`, sales/),
  2. the sale and its lines (refunds and voids, sales/),
  3. the device's receipt counter (sales/),
  4. a stock transfer row (`lock_transfer`): every transfer operation takes it first,
  5. the stock levels, all at once, ordered by (product_id, branch_id) (`lock_levels`,
     `sql.take_stock`).

A transaction takes its stock locks in one batch. The low-stock job's locks
(`lock_recovered_levels`, `lock_newly_low_levels`) are SKIP LOCKED: they never wait, so they
join no queue and no deadlock; a row a stock operation holds is left for the next run.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db.models import F, Q, QuerySet

from .models import StockLevel, StockTransfer

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant


def lock_levels(*, tenant: Tenant, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> QuerySet[StockLevel]:
    """The levels of `keys` ((product_id, branch_id) pairs), locked in (product_id, branch_id)
    order. Evaluate it inside the transaction that changes them."""
    products_by_branch: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for product_id, branch_id in keys:
        products_by_branch[branch_id].append(product_id)
    pairs = reduce(
        or_, (Q(branch_id=branch_id, product_id__in=ids) for branch_id, ids in products_by_branch.items())
    )
    return (
        StockLevel.objects.select_for_update()
        .filter(pairs, tenant=tenant)
        .order_by("product_id", "branch_id")
    )


def lock_transfer(*, tenant: Tenant, transfer_id: uuid.UUID) -> StockTransfer:
    """The transfer row, locked: two sends (or a send and a cancel) of one transfer serialize
    here, and the second sees the state the first left."""
    locked: StockTransfer = (
        StockTransfer.objects.select_for_update(of=("self",))
        .select_related("from_branch", "to_branch")
        .get(tenant=tenant, pk=transfer_id)
    )
    return locked


def lock_recovered_levels(*, tenant: Tenant) -> QuerySet[StockLevel]:
    """Notified levels back above their reorder level, locked, skipping rows a stock operation
    holds (left for the next run rather than waited for)."""
    return StockLevel.objects.select_for_update(skip_locked=True).filter(
        tenant=tenant, low_stock_notified_at__isnull=False, quantity__gt=F("reorder_level")
    )


def lock_newly_low_levels(*, tenant: Tenant) -> QuerySet[StockLevel]:
    """Levels at or below their reorder level and not yet notified, with their branch and
    product, in the order the email lists them; locked (their own rows only), skipping rows a
    stock operation holds."""
    return (
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
