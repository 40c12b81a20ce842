"""The sales events of the audit trail: what a cashier's limits would have refused, voids and
refunds. Each is written in the transaction of the sale, void or refund it records."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cliqserve.core import audit
from cliqserve.core.money import quantize_money

from ..models import Refund, Sale, SaleLine

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant


def record_line_exceptions(
    *, tenant: Tenant, actor: User, sale: Sale, lines: Sequence[SaleLine], approvers: Mapping[int, uuid.UUID]
) -> None:
    """A price override (changes: [catalog price, price sold]) and a discount above the
    cashier limit (changes: [the limit, the discount given]): one event per kind and approving
    manager (none when the seller needed no approval). Nothing is written for a sale within the
    limits, so the checkout pays only for what is audited."""
    limit = tenant.cashier_max_discount_percent
    found: dict[tuple[str, uuid.UUID | None], dict[str, list[Any]]] = defaultdict(dict)
    for line in lines:
        approver = approvers.get(line.position)
        if line.price_overridden:
            catalog_price = quantize_money(line.product.price, tenant.currency)
            found["price_override", approver][f"lines/{line.position}/unit_price"] = [
                catalog_price,
                line.unit_price,
            ]
        if line.discount_percent > limit:
            found["discount_over_limit", approver][f"lines/{line.position}/discount_percent"] = [
                limit,
                line.discount_percent,
            ]
    for (action, approver), changes in found.items():
        audit.record(
            action=action,
            tenant_id=tenant.pk,
            actor=actor,
            target=sale,
            object_repr=sale.receipt_number,
            changes=changes,
            approver_id=approver,
        )


def record_void(*, tenant: Tenant, actor: User, sale: Sale, approver_id: uuid.UUID | None) -> None:
    audit.record(
        action="sale_voided",
        tenant_id=tenant.pk,
        actor=actor,
        approver_id=approver_id,
        target=sale,
        object_repr=sale.receipt_number,
        changes={"status": [Sale.Status.COMPLETED, sale.status], "void_reason": ["", sale.void_reason]},
    )


def record_refund(
    *, tenant: Tenant, actor: User, sale: Sale, refund: Refund, approver_id: uuid.UUID | None
) -> None:
    audit.record(
        action="refund_created",
        tenant_id=tenant.pk,
        actor=actor,
        approver_id=approver_id,
        target=refund,
        object_repr=sale.receipt_number,
        changes={"sale": [None, sale.pk], "total": [None, refund.total], "reason": ["", refund.reason]},
    )
