"""Cash-drawer shifts: open one per device, pay cash in and out, close with the counted cash.

A pay-out and a close depend on what the drawer holds, so they first take the shift row FOR NO
KEY UPDATE — the lock every sale takes on its shift (locks.py). A close
therefore waits for the sales in flight on its shift and counts all of them; a sale that
arrives after the close finds the shift closed (409 shift_not_open).

Who may do what (policies.py):
- Open: the tenant admin on any device of the tenant; a branch manager on the devices of its
  branch; a cashier on a device assigned to it — and, when its access token names a device,
  on that device only. The caller becomes the shift's cashier. The device and its branch must
  be active (else 409 `conflict`).
- Pay in or out, close: the shift's cashier, the manager of the shift's branch, the tenant admin.
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.core import audit
from cliqserve.core.errors import Conflict, InvalidInput
from cliqserve.core.money import quantize_money
from cliqserve.core.tenancy import tenant_scope
from cliqserve.core.validators import currency_decimal_places
from cliqserve.tenants.models import Device

from .. import limits, locks, policies
from ..errors import ShiftAlreadyOpen, ShiftNotOpen
from ..models import CashMovement, Shift
from ..shift_report import ShiftReport, shift_totals

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

logger = logging.getLogger("cliqserve.sales")


# --- Open -----------------------------------------------------------------------------------------


def shift_open(
    *,
    tenant: Tenant,
    actor: User,
    device_id: uuid.UUID,
    opening_cash: Decimal,
    token_device_id: str | None = None,
) -> Shift:
    """Open a shift on `device_id` with `opening_cash` in the drawer; the caller is its cashier.
    Raises InvalidInput, NotPermitted, Conflict (device or branch inactive) or ShiftAlreadyOpen."""
    opening_cash = _money(opening_cash, tenant=tenant, pointer="/opening_cash", positive=False)
    try:
        # One atomic block (a savepoint inside a caller's transaction, the idempotency key's):
        # it holds the caller's assignment locked until the shift is in, and the partial unique
        # index `shift_one_open_per_device` decides between racing opens — the second INSERT
        # waits for the first transaction and fails once it commits.
        with transaction.atomic():
            device = _device_for_opening(tenant=tenant, actor=actor, device_id=device_id)
            policies.require_may_open_shift(actor=actor, device=device, token_device_id=token_device_id)
            if not (device.is_active and device.branch.is_active):
                raise Conflict(_("This device or its branch is deactivated."), pointer="/device")
            shift = Shift(
                tenant=tenant,
                branch_id=device.branch_id,
                device=device,
                cashier=actor,
                opening_cash=opening_cash,
            )
            shift.save(force_insert=True)
    except IntegrityError:
        # Read after the failed INSERT, not before it: this names the winner, it decides nothing.
        open_id = _open_shift_id(tenant=tenant, device_id=device_id)
        if open_id is None:
            raise
        raise ShiftAlreadyOpen(
            _("This device already has an open shift; close it first."),
            pointer="/device",
            meta={"shift": str(open_id)},
        ) from None
    transaction.on_commit(lambda: _log("shift opened", shift))
    return shift


def _device_for_opening(*, tenant: Tenant, actor: User, device_id: uuid.UUID) -> Any:
    """The tenant's device with its branch, and whether the caller is assigned to it. The
    assignment is read locked (locks.hold_assignment): a move of the caller to another branch,
    which deletes it, either waits for this open and then finds the shift (409), or commits
    first and this open finds no assignment."""
    device = Device.objects.filter(tenant=tenant, pk=device_id).select_related("branch").first()
    if device is None:
        raise InvalidInput(_("Unknown device."), pointer="/device")
    device.caller_assigned = locks.hold_assignment(  # type: ignore[attr-defined]  # read by the opening's checks
        tenant=tenant, device_id=device.pk, user_id=actor.pk
    )
    return device


def _open_shift_id(*, tenant: Tenant, device_id: uuid.UUID) -> uuid.UUID | None:
    return (
        Shift.objects.filter(tenant=tenant, device_id=device_id, status=Shift.Status.OPEN)
        .values_list("pk", flat=True)
        .first()
    )


# --- Cash in and out ------------------------------------------------------------------------------


def cash_movement_create(
    *, tenant: Tenant, actor: User, shift: Shift, kind: str, amount: Decimal, reason: str
) -> CashMovement:
    """Put cash into the open shift's drawer (pay-in) or take it out (pay-out). A pay-out may not
    take more than the drawer should hold now, nor a pay-in take its expected cash beyond what
    the close can record (400 on /amount)."""
    if kind not in CashMovement.Kind.values:
        raise InvalidInput(_("Unknown kind."), pointer="/kind")
    amount = _money(amount, tenant=tenant, pointer="/amount", positive=True)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Say why the cash moves."), pointer="/reason")
    with transaction.atomic():
        locked = _lock_open_shift(tenant=tenant, actor=actor, shift_id=shift.pk)
        if kind == CashMovement.Kind.PAY_OUT:
            _check_drawer_holds(tenant=tenant, shift=locked, amount=amount)
        else:
            expected = shift_totals(tenant=tenant, shift=locked).expected_cash
            limits.check_drawer(expected_cash=expected, adding=amount, pointer="/amount")
        return CashMovement.objects.create(
            tenant=tenant, shift=locked, kind=kind, amount=amount, reason=reason, actor=actor
        )


def _check_drawer_holds(*, tenant: Tenant, shift: Shift, amount: Decimal) -> None:
    in_drawer = quantize_money(shift_totals(tenant=tenant, shift=shift).expected_cash, tenant.currency)
    if amount > in_drawer:
        raise InvalidInput(
            _("The drawer should hold %(cash)s; a pay-out cannot take more.") % {"cash": in_drawer},
            pointer="/amount",
            meta={"expected_cash": str(in_drawer)},
        )


# --- Close ----------------------------------------------------------------------------------------


def shift_close(*, tenant: Tenant, actor: User, shift: Shift, counted_cash: Decimal) -> ShiftReport:
    """Close the open shift with the cash counted in the drawer; the answer is its Z report.
    Raises ShiftNotOpen (already closed), NotPermitted or InvalidInput."""
    counted_cash = _money(counted_cash, tenant=tenant, pointer="/counted_cash", positive=False)
    with transaction.atomic():
        locked = _lock_open_shift(tenant=tenant, actor=actor, shift_id=shift.pk)
        # Under the lock no sale, pay-out or close of this shift is in flight: the figures are final.
        totals = shift_totals(tenant=tenant, shift=locked)
        _check_close_fits(tenant=tenant, expected_cash=totals.expected_cash, counted_cash=counted_cash)
        locked.status = Shift.Status.CLOSED
        locked.closed_at = timezone.now()
        locked.closed_by = actor
        locked.counted_cash = counted_cash
        locked.expected_cash = totals.expected_cash
        locked.variance = counted_cash - totals.expected_cash
        locked.save(
            update_fields=[
                "status",
                "closed_at",
                "closed_by",
                "counted_cash",
                "expected_cash",
                "variance",
                "updated_at",
            ]
        )
        audit.record(
            action="shift_closed",
            tenant_id=tenant.pk,
            actor=actor,
            target=locked,
            object_repr=str(locked.opened_at.date()),
            changes={
                "expected_cash": [None, locked.expected_cash],
                "counted_cash": [None, locked.counted_cash],
                "variance": [None, locked.variance],
            },
        )
        transaction.on_commit(lambda: _log("shift closed", locked))
    return ShiftReport(shift=locked, totals=totals)


# --- A cashier moving ----------------------------------------------------------------------------


def refuse_move_with_open_shift(
    sender: Any, *, user: User, branch_id: uuid.UUID | None, **kwargs: Any
) -> None:
    """Receiver of accounts' `user_branch_changing`: a user whose shift is open at another
    branch than the one it moves to must close it first (409 naming the shift) — moved, it
    could no longer work that drawer, and no one would have counted it."""
    if user.tenant_id is None:
        return
    with tenant_scope(user.tenant_id):
        open_shifts = Shift.objects.filter(
            tenant_id=user.tenant_id, cashier_id=user.pk, status=Shift.Status.OPEN
        )
        if branch_id is not None:
            open_shifts = open_shifts.exclude(branch_id=branch_id)
        shift_id = open_shifts.values_list("pk", flat=True).first()
    if shift_id is not None:
        raise Conflict(
            _("This user has the open shift %(shift)s at its branch; close it before moving the user.")
            % {"shift": shift_id},
            pointer="/branch",
            meta={"shift": str(shift_id)},
        )


def _check_close_fits(*, tenant: Tenant, expected_cash: Decimal, counted_cash: Decimal) -> None:
    """Sales and pay-ins keep the expected cash within its column (limits.py); should it still
    not fit, or the variance not, the close is refused (a pay-out or pay-in brings it back)."""
    if not limits.fits_money(expected_cash, counted_cash - expected_cash):
        expected_cash = quantize_money(expected_cash, tenant.currency)
        raise InvalidInput(
            _(
                "The expected cash (%(expected)s) or the variance is beyond what can be recorded; "
                "record a pay-out or pay-in first."
            )
            % {"expected": expected_cash},
            pointer="/counted_cash",
            meta={"expected_cash": str(expected_cash), "limit": str(limits.MONEY_LIMIT)},
        )


# --- Shared ---------------------------------------------------------------------------------------


def _lock_open_shift(*, tenant: Tenant, actor: User, shift_id: uuid.UUID) -> Shift:
    """The shift, locked like a sale locks it (FOR NO KEY UPDATE); it must be open and the
    caller its cashier, its branch's manager or the tenant admin."""
    shift = locks.lock_shift(tenant=tenant, shift_id=shift_id)
    policies.require_may_work_drawer(actor=actor, shift=shift)
    if shift.status != Shift.Status.OPEN:
        raise ShiftNotOpen(_("This shift is closed."))
    return shift


def _money(value: Decimal, *, tenant: Tenant, pointer: str, positive: bool) -> Decimal:
    """`value` as an amount of the tenant's currency: never more decimals than it has."""
    places = currency_decimal_places(tenant.currency)
    minor_unit = Decimal(1).scaleb(-places)
    too_small = value <= 0 if positive else value < 0
    if not value.is_finite() or too_small or value != value.quantize(minor_unit):
        floor = _("greater than zero") if positive else _("zero or more")
        raise InvalidInput(
            _("Must be %(floor)s, in %(currency)s (%(places)s decimals at most).")
            % {"floor": floor, "currency": tenant.currency, "places": places},
            pointer=pointer,
        )
    return value.quantize(minor_unit)


def _log(event: str, shift: Shift) -> None:
    logger.info(
        event,
        extra={
            "shift_id": str(shift.pk),
            "device_id": str(shift.device_id),
            "branch_id": str(shift.branch_id),
            "opening_cash": str(shift.opening_cash),
            "expected_cash": None if shift.expected_cash is None else str(shift.expected_cash),
            "counted_cash": None if shift.counted_cash is None else str(shift.counted_cash),
        },
    )
