"""The sales events of the audit trail: what a cashier's limits would have refused, voids and
refunds. Each is written in the transaction of the sale, void or refund it records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cliqserve.core import audit
from cliqserve.core.money import quantize_money

from ..models import Refund, Sale, SaleLine

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant


def record_line_exceptions(*, tenant: Tenant, actor: User, sale: Sale, lines: Sequence[SaleLine]) -> None:
    """A price override (changes: [catalog price, price sold]) and a discount above the
    cashier limit (changes: [the limit, the discount given]), one event each per sale. Nothing
    is written for a sale within the limits, so the checkout pays only for what is audited."""
    limit = tenant.cashier_max_discount_percent
    overrides = {
        f"lines/{line.position}/unit_price": [
            quantize_money(line.product.price, tenant.currency),
            line.unit_price,
        ]
        for line in lines
        if line.price_overridden
    }
    discounts = {
        f"lines/{line.position}/discount_percent": [limit, line.discount_percent]
        for line in lines
        if line.discount_percent > limit
    }
    for action, changes in (("price_override", overrides), ("discount_over_limit", discounts)):
        if changes:
            audit.record(
                action=action,
                tenant_id=tenant.pk,
                actor=actor,
                target=sale,
                object_repr=sale.receipt_number,
                changes=changes,
            )


def record_void(*, tenant: Tenant, actor: User, sale: Sale) -> None:
    audit.record(
        action="sale_voided",
        tenant_id=tenant.pk,
        actor=actor,
        target=sale,
        object_repr=sale.receipt_number,
        changes={"status": [Sale.Status.COMPLETED, sale.status], "void_reason": ["", sale.void_reason]},
    )


def record_refund(*, tenant: Tenant, actor: User, sale: Sale, refund: Refund) -> None:
    audit.record(
        action="refund_created",
        tenant_id=tenant.pk,
        actor=actor,
        target=refund,
        object_repr=sale.receipt_number,
        changes={"sale": [None, sale.pk], "total": [None, refund.total], "reason": ["", refund.reason]},
    )
