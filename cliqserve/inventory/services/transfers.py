"""Stock transfers between two branches of a tenant: draft, sent, received or cancelled.

Every operation on a transfer locks its row first (locks.lock_transfer), then the stock levels
through the ledger, in the order locks.py documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.core import audit
from cliqserve.core.errors import Conflict, InvalidInput
from cliqserve.core.services import refuse_unknown_fields

from ..locks import lock_transfer
from ..models import StockMovement, StockTransfer, StockTransferLine
from ..policies import require_branch_manager
from ..selectors import TRANSFER_LINE_ORDER
from .ledger import MAX_QUANTITY, Change, apply_changes
from .validation import StockLine, positive_quantity, refuse_duplicate_products, require_lines

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Branch, Tenant

Kind = StockMovement.Kind
Status = StockTransfer.Status

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
    require_lines(lines)
    refuse_duplicate_products(lines)
    new_lines = []
    for index, line in enumerate(lines):
        product = line["product"]
        if product.tenant_id != tenant.pk:
            raise InvalidInput(_("Unknown product."), pointer=f"/lines/{index}/product")
        if not product.track_stock:
            raise InvalidInput(
                _("%(sku)s does not track stock.") % {"sku": product.sku}, pointer=f"/lines/{index}/product"
            )
        quantity = positive_quantity(line["quantity"], f"/lines/{index}/quantity")
        if quantity >= MAX_QUANTITY:
            raise InvalidInput(_("Too large."), pointer=f"/lines/{index}/quantity")
        new_lines.append(
            StockTransferLine(tenant=tenant, transfer=transfer, product=product, quantity=quantity)
        )
    StockTransferLine.objects.filter(tenant=tenant, transfer=transfer).delete()
    StockTransferLine.objects.bulk_create(new_lines)


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
    transfer = lock_transfer(tenant=tenant, transfer_id=transfer.pk)
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
) -> list[Change]:
    inbound = sign > 0
    return [
        Change(
            branch=branch,
            product=line.product,
            kind=kind,
            quantity=sign * line.quantity,
            unit_cost=line.unit_cost if inbound else None,
            pointer=f"/lines/{index}",
        )
        for index, line in enumerate(lines)
    ]


def _audit(*, tenant: Tenant, actor: User, transfer: StockTransfer, before: str) -> None:
    audit.record(
        action=f"stock_transfer_{transfer.status}",
        tenant_id=tenant.pk,
        actor=actor,
        target=transfer,
        object_repr=transfer.reference,
        changes={"status": [before, transfer.status]},
    )


@transaction.atomic
def stock_transfer_send(*, tenant: Tenant, actor: User, transfer: StockTransfer) -> StockTransfer:
    """draft -> sent: the stock leaves the sending branch at its average cost, which each line
    keeps so that the goods arrive (or come back) valued as they left."""
    transfer = lock_transfer(tenant=tenant, transfer_id=transfer.pk)
    require_branch_manager(actor, transfer.from_branch_id)
    _require_status(transfer, {Status.DRAFT}, action=_("sent"))
    lines = _transfer_lines(transfer)
    changes = _line_changes(lines, branch=transfer.from_branch, kind=Kind.TRANSFER_OUT, sign=-1)
    movements = apply_changes(
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
    _audit(tenant=tenant, actor=actor, transfer=transfer, before=Status.DRAFT)
    return transfer


def _bring_in(*, tenant: Tenant, actor: User, transfer: StockTransfer, branch: Branch) -> None:
    """A sent transfer's goods enter `branch` (the receiver, or the sender on cancel) at the
    cost they left with. An increase never needs the negative-stock allowance."""
    changes = _line_changes(_transfer_lines(transfer), branch=branch, kind=Kind.TRANSFER_IN, sign=1)
    apply_changes(
        tenant=tenant,
        actor=actor,
        changes=changes,
        reference=_transfer_reference(transfer),
        allow_negative=True,
    )


@transaction.atomic
def stock_transfer_receive(*, tenant: Tenant, actor: User, transfer: StockTransfer) -> StockTransfer:
    """sent -> received: the stock arrives at the cost it left with (moving average applies)."""
    transfer = lock_transfer(tenant=tenant, transfer_id=transfer.pk)
    require_branch_manager(actor, transfer.to_branch_id)
    _require_status(transfer, {Status.SENT}, action=_("received"))
    _bring_in(tenant=tenant, actor=actor, transfer=transfer, branch=transfer.to_branch)
    transfer.status, transfer.received_at = Status.RECEIVED, timezone.now()
    transfer.save(update_fields=["status", "received_at", "updated_at"])
    _audit(tenant=tenant, actor=actor, transfer=transfer, before=Status.SENT)
    return transfer


@transaction.atomic
def stock_transfer_cancel(
    *, tenant: Tenant, actor: User, transfer: StockTransfer, drafts_only: bool = False
) -> StockTransfer:
    """draft or sent -> cancelled. A sent transfer's stock returns to the sending branch at the
    cost it left with. `drafts_only` is DELETE's rule: it never moves stock."""
    transfer = lock_transfer(tenant=tenant, transfer_id=transfer.pk)
    require_branch_manager(actor, transfer.from_branch_id)
    allowed = {Status.DRAFT} if drafts_only else {Status.DRAFT, Status.SENT}
    _require_status(transfer, allowed, action=_("cancelled"))
    if transfer.status == Status.SENT:
        _bring_in(tenant=tenant, actor=actor, transfer=transfer, branch=transfer.from_branch)
    previous = transfer.status
    transfer.status = Status.CANCELLED
    transfer.save(update_fields=["status", "updated_at"])
    _audit(tenant=tenant, actor=actor, transfer=transfer, before=previous)
    return transfer
