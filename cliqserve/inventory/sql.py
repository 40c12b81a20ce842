"""Inventory's hand-written SQL, and the one test of which database runs it.

Written out only where the ORM cannot say it in as few statements (see each function). Table
names come from the models' `_meta`; every value is a bound parameter. Row locks taken here
follow the order documented in locks.py.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from .models import StockLevel

if TYPE_CHECKING:
    from cliqserve.tenants.models import Branch, Tenant


def is_postgresql() -> bool:
    """Does the statement below run here? The embedded default (SQLite) takes the general path."""
    return connection.vendor == "postgresql"


def take_stock(
    *, tenant: Tenant, branch: Branch, wanted: dict[uuid.UUID, Decimal], floor: Decimal
) -> dict[uuid.UUID, tuple[Decimal, Decimal]]:
    """Take `wanted` (product id: quantity) off the branch's levels; each level's quantity left
    and average cost (a product without a level is absent). The MATERIALIZED CTE locks the rows
    in product order, as every other stock write does, so none deadlocks with it. The UPDATE
    tests nothing but the row's identity: a row changed since the statement began is updated
    in its latest committed version (READ COMMITTED re-evaluates it), whereas a test such as
    `quantity >= wanted` would be judged on the version the statement first saw. A level
    already far below zero (offline sales) is kept from overflowing its column: what is left is
    floored at `floor`, the lowest value it can hold, which the caller refuses as out of range.

    The checkout's hot path (services/ledger.py `guarded_decrement`, bench/README.md): change
    this statement only with the benchmark side by side."""
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
    params += [tenant.pk, branch.pk, floor, timezone.now()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {product_id: (quantity, cost) for product_id, quantity, cost in cursor.fetchall()}
