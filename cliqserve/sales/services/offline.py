"""Offline sales sync: sales a device rang up without a connection, uploaded afterwards.

An offline sale already happened — the goods left and the money is in the drawer — so it is
recorded even where an online sale would be refused, and flagged for a manager's review
instead. What is still refused is what cannot be recorded truthfully. The rules (README
"Offline sales sync"):

* Each sale is one transaction: a bad sale never affects the others in the batch.
* `client_id` deduplicates, per tenant and forever, whatever the body: the unique constraint
  `sale_client_id_unique` decides. A sale whose insert meets that constraint — uploaded before,
  or committed meanwhile by a concurrent upload of the same batch, which the insert waits
  for — is rolled back with its stock and answered `duplicate` with the existing sale's id.
  Reading the known client ids first is only a fast path.
* The device's receipt number and time (`created_at`, kept as `sold_at`) are kept. A receipt
  number the device already used for another sale is `conflict`; a time more than five
  minutes in the future is `validation_error`. A number in the device's online series
  (BR1-POS2-000124) moves that series past it, so online numbering never hands it out again.
* The shift: the device's shift that was open at `created_at` (opened_at <= created_at and
  closed_at null or >= created_at), flagged `late_for_closed_shift` if it has been closed since;
  else the device's open shift, flagged `outside_shift`; else the sale is `shift_not_open`
  (the device keeps it and retries once a shift is open). A cashier's sale that lands on
  another cashier's shift is flagged `other_cashiers_shift` (online, that cashier could not
  have sold on it; the other cashier's drawer would look short at its close).
* Stock may go negative; the sale is then flagged `negative_stock`. Pricing flags a cashier's
  price override (`price_override`), a discount above the limit (`discount_above_limit`) and
  an inactive product (`inactive_product`) rather than refusing them.
* Refused, with nothing written for the sale: a malformed sale, an unknown product, payments
  that do not cover the total (`payment_insufficient`), card and other above the total, a
  reused receipt number, no shift.

Queries per sale do not grow with its lines: the shift (1), products (1), stock (4: create
missing levels, lock, update, ledger), the sale, lines, payments (3), the negative-stock flag
(1); plus, per batch, the device (1) and the known client ids (1).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.core.errors import Conflict, DomainError, InvalidInput, NotPermitted, error_object
from cliqserve.inventory.models import StockLevel
from cliqserve.tenants.models import Device, DeviceAssignment

from .. import locks, metrics, policies
from ..errors import ShiftNotOpen
from ..models import Sale, Shift
from .selling import (
    Cart,
    LineInput,
    PaymentInput,
    keep_offline_receipt_number,
    price_cart,
    record_sale,
    settle,
)

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

MAX_BATCH = 100
FUTURE_TOLERANCE = timedelta(minutes=5)

CREATED, DUPLICATE, REJECTED = "created", "duplicate", "rejected"
LATE_FOR_CLOSED_SHIFT = "late_for_closed_shift"
OUTSIDE_SHIFT = "outside_shift"
OTHER_CASHIERS_SHIFT = "other_cashiers_shift"
NEGATIVE_STOCK = "negative_stock"


@dataclass(frozen=True)
class OfflineSaleInput:
    index: int  # position in the request's `sales`: error pointers are "/sales/<index>/..."
    client_id: uuid.UUID
    receipt_number: str
    created_at: datetime
    lines: Sequence[LineInput]
    payments: Sequence[PaymentInput]


@dataclass(frozen=True)
class SyncResult:
    index: int
    client_id: uuid.UUID | None
    status: str
    sale_id: uuid.UUID | None = None
    receipt_number: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


def offline_sales_sync(
    *,
    tenant: Tenant,
    actor: User,
    device_id: uuid.UUID,
    sales: Sequence[OfflineSaleInput | SyncResult],
    token_device_id: str | None = None,
) -> list[SyncResult]:
    """Record the device's offline `sales`, each in its own transaction; one result each, in
    order. A `SyncResult` among `sales` is a sale the API layer could not parse: it stays
    rejected unless its client id was synced before, then it is a duplicate like any other.
    Raises InvalidInput (unknown device) or NotPermitted before recording anything."""
    device = _device_for_sync(
        tenant=tenant, actor=actor, device_id=device_id, token_device_id=token_device_id
    )
    known = _synced_before(tenant=tenant, client_ids={sale.client_id for sale in sales if sale.client_id})
    results = []
    for sale in sales:
        existing = known.get(sale.client_id) if sale.client_id else None
        if existing is not None:
            results.append(_duplicate(sale, *existing))
        elif isinstance(sale, SyncResult):
            results.append(sale)
        else:
            results.append(_sync_one(tenant=tenant, actor=actor, device=device, sale=sale))
    return results


# --- Who may upload for which device ---------------------------------------------------------------


def _device_for_sync(
    *, tenant: Tenant, actor: User, device_id: uuid.UUID, token_device_id: str | None
) -> Device:
    assigned = DeviceAssignment.objects.filter(tenant=tenant, device_id=OuterRef("pk"), user_id=actor.pk)
    device = (
        Device.objects.filter(tenant=tenant, pk=device_id).annotate(caller_assigned=Exists(assigned)).first()
    )
    if device is None:
        raise InvalidInput(_("Unknown device."), pointer="/device")
    if not policies.may_sync_for(actor=actor, device=device, token_device_id=token_device_id):
        raise NotPermitted(_("You cannot upload sales for this device."), pointer="/device")
    return device


# --- Deduplication --------------------------------------------------------------------------------


def _synced_before(
    *, tenant: Tenant, client_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """client_id -> (sale id, receipt number) of the sales already recorded. A fast path only:
    a sale committed after this read is caught by the unique constraint."""
    rows = Sale.objects.filter(tenant=tenant, client_id__in=list(client_ids)).values_list(
        "client_id", "pk", "receipt_number"
    )
    return {
        client_id: (pk, receipt_number) for client_id, pk, receipt_number in rows if client_id is not None
    }


def _duplicate(sale: OfflineSaleInput | SyncResult, sale_id: uuid.UUID, receipt_number: str) -> SyncResult:
    return SyncResult(
        index=sale.index,
        client_id=sale.client_id,
        status=DUPLICATE,
        sale_id=sale_id,
        receipt_number=receipt_number,
    )


def _rejected(sale: OfflineSaleInput, error: DomainError) -> SyncResult:
    pointer = None if error.pointer is None else f"/sales/{sale.index}{error.pointer}"
    return SyncResult(
        index=sale.index,
        client_id=sale.client_id,
        status=REJECTED,
        receipt_number=sale.receipt_number,
        errors=[
            error_object(
                status=error.status_code,
                code=error.code,
                detail=error.detail,
                pointer=pointer,
                meta=error.meta,
            )
        ],
    )


# --- One sale ---------------------------------------------------------------------------------------


def _sync_one(*, tenant: Tenant, actor: User, device: Device, sale: OfflineSaleInput) -> SyncResult:
    try:
        recorded = _record(tenant=tenant, actor=actor, device=device, sale=sale)
    except IntegrityError as exc:
        return _after_unique_violation(tenant=tenant, device=device, sale=sale, exc=exc)
    except DomainError as exc:
        return _rejected(sale, exc)
    return SyncResult(
        index=sale.index,
        client_id=sale.client_id,
        status=CREATED,
        sale_id=recorded.pk,
        receipt_number=recorded.receipt_number,
    )


def _record(*, tenant: Tenant, actor: User, device: Device, sale: OfflineSaleInput) -> Sale:
    if sale.created_at > timezone.now() + FUTURE_TOLERANCE:
        raise InvalidInput(_("This time is in the future; check the device's clock."), pointer="/created_at")
    with transaction.atomic():
        cart = price_cart(tenant=tenant, actor=actor, lines=sale.lines, enforce_limits=False)
        settlement = settle(tenant=tenant, total=cart.sum_of("total"), payments=sale.payments)
        shift, shift_reasons = _lock_shift_at(tenant=tenant, device=device, moment=sale.created_at)
        shift_reasons += _cashier_reasons(actor=actor, shift=shift)
        cart.review_reasons = sorted({*cart.review_reasons, *shift_reasons})
        keep_offline_receipt_number(
            tenant=tenant, shift=shift, device=device, receipt_number=sale.receipt_number
        )
        recorded = record_sale(
            tenant=tenant,
            actor=actor,
            shift=shift,
            cart=cart,
            settlement=settlement,
            receipt_number=sale.receipt_number,
            sold_at=sale.created_at,
            origin=Sale.Origin.OFFLINE,
            client_id=sale.client_id,
            allow_negative=True,
        )
        _flag_negative_stock(tenant=tenant, sale=recorded, cart=cart)
        transaction.on_commit(partial(metrics.sale_recorded, recorded))
    return recorded


def _lock_shift_at(*, tenant: Tenant, device: Device, moment: datetime) -> tuple[Shift, list[str]]:
    """The device's shift that was open at `moment`, else its open shift, locked like an online
    sale locks its shift, so a concurrent close either counts this sale or closes first (then
    the sale is flagged late). Returns the shift and the review reasons it brings."""
    covers = Q(opened_at__lte=moment) & (Q(closed_at__isnull=True) | Q(closed_at__gte=moment))
    shift = (
        locks.locked_shifts(tenant)
        .select_related("branch")
        .filter(Q(status=Shift.Status.OPEN) | covers, device=device)
        .annotate(
            covers=Case(When(covers, then=Value(True)), default=Value(False), output_field=BooleanField())
        )
        .order_by("-covers", "-opened_at")
        .first()
    )
    if shift is None:
        raise ShiftNotOpen(
            _("No shift of this device covers this time and none is open; open one and retry.")
        )
    if not shift.covers:
        return shift, [OUTSIDE_SHIFT]
    if shift.status != Shift.Status.OPEN:
        return shift, [LATE_FOR_CLOSED_SHIFT]
    return shift, []


def _cashier_reasons(*, actor: User, shift: Shift) -> list[str]:
    """A cashier sells online only on its own shift; offline, another cashier's shift is flagged."""
    return [OTHER_CASHIERS_SHIFT] if policies.on_another_cashiers_shift(actor=actor, shift=shift) else []


def _flag_negative_stock(*, tenant: Tenant, sale: Sale, cart: Cart) -> None:
    """Flag the sale if it left any of its products below zero at the branch: one conditional
    UPDATE, on the levels this transaction still holds locked."""
    tracked = {line.product_id for line in cart.lines if line.product.track_stock}
    if not tracked:
        return
    negative = StockLevel.objects.filter(
        tenant=tenant, branch_id=sale.branch_id, product_id__in=tracked, quantity__lt=0
    )
    reasons = sorted({*sale.review_reasons, NEGATIVE_STOCK})
    flagged = (
        Sale.objects.filter(tenant=tenant, pk=sale.pk)
        .filter(Exists(negative))
        .update(needs_review=True, review_reasons=reasons)
    )
    if flagged:
        sale.needs_review, sale.review_reasons = True, reasons


def _after_unique_violation(
    *, tenant: Tenant, device: Device, sale: OfflineSaleInput, exc: IntegrityError
) -> SyncResult:
    """The sale's transaction was rolled back on a unique constraint: find out which. Its
    client id recorded already is a duplicate (checked first: a re-sent sale reuses its
    receipt number too); its receipt number used by another sale of the device, a conflict."""
    existing = (
        Sale.objects.filter(tenant=tenant, client_id=sale.client_id)
        .values_list("pk", "receipt_number")
        .first()
    )
    if existing is not None:
        return _duplicate(sale, *existing)
    if Sale.objects.filter(tenant=tenant, device=device, receipt_number=sale.receipt_number).exists():
        conflict = Conflict(
            _("This device already has another sale with this receipt number."), pointer="/receipt_number"
        )
        return _rejected(sale, conflict)
    raise exc
