"""Every row lock of sales, one small function each; nothing else in sales locks a row.

The lock order (ADR 0003), which every writer of a drawer or of stock follows, so none of
them deadlocks with another:

1. the shift — FOR NO KEY UPDATE (`shift_for_selling`, `locked_shifts`, `lock_shift`): the sale
   and refund rows' foreign keys to it may still be checked meanwhile, and a close waits for
   the sales, refunds, voids and pay-outs in flight on it;
2. the sale, then its lines by position (`lock_sale`, `lock_sale_lines`) — refunds and voids;
3. the device's receipt counter (sql.next_receipt_counter: the upsert holds the row until the
   sale commits);
4. the stock levels, in product order (inventory's locks, through its services).

Opening a shift takes one lock before any of these, the caller's device assignment
(`hold_assignment`): a move of that user to another branch deletes the assignment, so the two
serialise and the move sees the shift it must refuse (accounts.services.user_update).

Each takes its rows FOR NO KEY UPDATE OF the table itself only: a joined row (a shift's
branch, a line's product) is read, never locked.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import QuerySet

from cliqserve.tenants.models import Branch, Device, DeviceAssignment

from .models import Sale, SaleLine, Shift
from .sql import attached, db_value

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant


# --- 1. The shift ---------------------------------------------------------------------------------


def locked_shifts(tenant: Tenant) -> QuerySet[Shift]:
    """The tenant's shifts, each row locked as it is read: the one way sales locks a shift
    through the ORM (narrow it down before reading)."""
    return Shift.objects.select_for_update(no_key=True, of=("self",)).filter(tenant=tenant)


def lock_shift(*, tenant: Tenant, shift_id: uuid.UUID) -> Shift:
    """The shift, locked (Shift.DoesNotExist if the tenant has none with this id)."""
    return locked_shifts(tenant).get(pk=shift_id)


# Only the columns of the device and branch that a sale reads.
_DEVICE_COLUMNS = ("id", "tenant_id", "branch_id", "code", "is_active")
_BRANCH_COLUMNS = ("id", "tenant_id", "code", "timezone", "is_active")


def shift_for_selling(*, tenant: Tenant, actor: User, shift_id: uuid.UUID) -> Shift | None:
    """The shift a sale is rung up on, locked, with its device and branch and whether the
    caller is assigned to the device — None if the tenant has no such shift.

    One locked read, written as SQL: every sale starts with it, and the ORM spends more time
    compiling this select_related + Exists + FOR NO KEY UPDATE OF than the database spends
    running it (bench/README.md). Django still builds the Shift (Model.raw converts each
    column); the device and branch are attached as select_related would attach them."""
    device_columns = ", ".join(f"device.{column} AS device_{column}" for column in _DEVICE_COLUMNS)
    branch_columns = ", ".join(f"branch.{column} AS branch_{column}" for column in _BRANCH_COLUMNS)
    lock = ""
    if connection.features.has_select_for_update:
        lock = connection.ops.for_update_sql(no_key=True, of=("shift",))
    # Table and column names from the models and this module; every value is a bound parameter.
    sql = f"""
        SELECT shift.*, {device_columns}, {branch_columns},
               EXISTS (SELECT 1 FROM {DeviceAssignment._meta.db_table} AS assignment
                       WHERE assignment.tenant_id = shift.tenant_id
                         AND assignment.device_id = shift.device_id
                         AND assignment.user_id = %s) AS caller_assigned
        FROM {Shift._meta.db_table} AS shift
        JOIN {Device._meta.db_table} AS device ON device.id = shift.device_id
        JOIN {Branch._meta.db_table} AS branch ON branch.id = shift.branch_id
        WHERE shift.tenant_id = %s AND shift.id = %s
        {lock}
    """  # noqa: S608  # nosec B608
    params = [
        db_value(DeviceAssignment, "user", actor.pk),
        db_value(Shift, "tenant", tenant.pk),
        db_value(Shift, "id", shift_id),
    ]
    shift = next(iter(Shift.objects.raw(sql, params)), None)
    if shift is None:
        return None
    shift.device = attached(Device, shift, "device", _DEVICE_COLUMNS)
    shift.branch = attached(Branch, shift, "branch", _BRANCH_COLUMNS)
    shift.caller_assigned = bool(shift.caller_assigned)  # type: ignore[attr-defined]  # a column of the raw SELECT
    return shift


def hold_assignment(*, tenant: Tenant, device_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Is the user assigned to the device? The assignment row, if any, stays locked until the
    caller commits, so the user's move to another branch (which deletes it) cannot pass
    between this read and the shift it lets the user open. Taken before the shift exists."""
    held = DeviceAssignment.objects.select_for_update(no_key=True).filter(
        tenant=tenant, device_id=device_id, user_id=user_id
    )
    return held.values_list("pk", flat=True).first() is not None


# --- 2. The sale and its lines ---------------------------------------------------------------------


def lock_sale(*, tenant: Tenant, sale_id: uuid.UUID) -> Sale:
    """The sale, locked, with its branch (NO KEY UPDATE: the refund rows' foreign keys to it may
    still be checked)."""
    locked = Sale.objects.select_for_update(no_key=True, of=("self",)).select_related("branch")
    return locked.get(tenant=tenant, pk=sale_id)


def lock_sale_lines(*, tenant: Tenant, sale_id: uuid.UUID) -> dict[uuid.UUID, SaleLine]:
    """The sale's lines with their products, locked in position order."""
    locked = (
        SaleLine.objects.select_for_update(no_key=True, of=("self",))
        .select_related("product")
        .filter(tenant=tenant, sale_id=sale_id)
        .order_by("position")
    )
    return {line.pk: line for line in locked}
