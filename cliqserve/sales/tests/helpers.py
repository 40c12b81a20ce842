"""Shared helpers of the sales tests (and of tests/matrix_sales.py, tests/matrix_shifts.py).

Each helper enters the tenant's scope itself, so it can be called from anywhere: a test body, a
matrix lambda, a thread.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from cliqserve.catalog.models import Product
from cliqserve.core.tenancy import tenant_scope
from cliqserve.inventory.models import StockLevel
from cliqserve.inventory.tests.helpers import D, product, receive
from cliqserve.sales.models import Sale, Shift
from cliqserve.sales.services import selling

__all__ = ["D", "cash_sale", "keyed", "open_shift", "sale_body", "stocked"]


def keyed(key: str | None = None) -> dict[str, Any]:
    """Test-client extra for an `Idempotency-Key` header (a fresh one unless given)."""
    return {"HTTP_IDEMPOTENCY_KEY": key or uuid.uuid4().hex}


def open_shift(tw: Any, *, device: Any = None, cashier: Any = None, opening_cash: Any = "100.00") -> Shift:
    """The open shift of `device` (default: the cashier's device), opened on first use."""
    device = device or tw.device
    existing = Shift.objects.unscoped().filter(device=device, status=Shift.Status.OPEN).first()
    if existing is not None:
        return existing
    return Shift.objects.unscoped().create(
        tenant=tw.tenant,
        branch=device.branch,
        device=device,
        cashier=cashier or tw.cashier,
        opening_cash=D(opening_cash),
    )


def stocked(
    tw: Any,
    sku: str = "SALE-1",
    *,
    quantity: Any = 50,
    unit_cost: Any = "4.00",
    branch: Any = None,
    **fields: Any,
) -> Product:
    """A product of tenant `tw` with `quantity` in stock at `branch` (default: the cashier's),
    received on first use."""
    item = product(tw.tenant, sku, **fields)
    branch = branch or tw.branch
    if item.track_stock and not StockLevel.objects.unscoped().filter(branch=branch, product=item).exists():
        receive(tw, branch, item, quantity, unit_cost)
    return item


def sale_body(
    shift: Shift, *lines: tuple[Product, Any], pay: Any = None, method: str = "cash"
) -> dict[str, Any]:
    """A request body selling `lines` [(product, quantity)] on `shift`, paid in one payment of
    `pay` (default: enough for the catalog price plus 100% tax, in cash)."""
    if pay is None:
        pay = sum((D(item.price) * D(quantity) * 2 for item, quantity in lines), Decimal(0))
    return {
        "shift": str(shift.pk),
        "lines": [{"product": str(item.pk), "quantity": str(quantity)} for item, quantity in lines],
        "payments": [{"method": method, "amount": str(pay)}],
    }


def cash_sale(tw: Any, shift: Shift, *lines: tuple[Product, Any], actor: Any = None, pay: Any = None) -> Sale:
    """A completed sale through the service, paid in cash."""
    body = sale_body(shift, *lines, pay=pay)
    with tenant_scope(tw.tenant.pk):
        return selling.sale_create(
            tenant=tw.tenant,
            actor=actor or shift.cashier,
            shift_id=shift.pk,
            lines=[
                selling.LineInput(product_id=uuid.UUID(line["product"]), quantity=D(line["quantity"]))
                for line in body["lines"]
            ],
            payments=[selling.PaymentInput(method="cash", amount=D(body["payments"][0]["amount"]))],
        )


def sale_of(tw: Any, branch: Any = None) -> Sale:
    """A completed sale of tenant `tw` at `branch` (default: the cashier's branch), made on
    first use: at the cashier's branch by the cashier on its device, at the other branch by the
    other cashier on the other device."""
    branch = branch or tw.branch
    existing = Sale.objects.unscoped().filter(tenant=tw.tenant, branch=branch).first()
    if existing is not None:
        return existing
    at_home = branch == tw.branch
    shift = open_shift(
        tw,
        device=tw.device if at_home else tw.other_device,
        cashier=tw.cashier if at_home else tw.other_cashier,
    )
    item = product(tw.tenant, "SOLD-1")
    if not StockLevel.objects.unscoped().filter(branch=branch, product=item).exists():
        receive(tw, branch, item, 20, "2.00")
    return cash_sale(tw, shift, (item, 2), actor=tw.tenant_admin)
