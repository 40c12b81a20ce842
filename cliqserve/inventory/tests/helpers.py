"""Shared helpers of the inventory tests (and of tests/matrix_inventory.py).

Each helper enters the tenant's scope itself, so it can be called from anywhere: a test body,
a matrix lambda, a thread.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from cliqserve.catalog.models import Product
from cliqserve.core.tenancy import tenant_scope
from cliqserve.inventory import services
from cliqserve.inventory.models import StockLevel, StockMovement, StockTransfer
from tests.factories import ProductFactory


def D(value: Any) -> Decimal:
    return Decimal(str(value))


def keyed() -> dict[str, Any]:
    """Test-client extra for a fresh `Idempotency-Key` header (receipts and adjustments need one)."""
    return {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}


def product(tenant: Any, sku: str = "INV-1", **fields: Any) -> Product:
    """The tenant's product with this sku, created on first use."""
    existing = Product.objects.unscoped().filter(tenant=tenant, sku=sku).first()
    return existing or ProductFactory(tenant=tenant, sku=sku, **fields)


def receive(tw: Any, branch: Any, item: Product, quantity: Any, unit_cost: Any = "1.00") -> StockMovement:
    """Stock in through the receipt service, as tenant `tw`'s admin."""
    with tenant_scope(tw.tenant.pk):
        [movement] = services.stock_receipt_create(
            tenant=tw.tenant,
            actor=tw.tenant_admin,
            branch=branch,
            lines=[{"product": item, "quantity": D(quantity), "unit_cost": D(unit_cost)}],
        )
    return movement


def level(branch: Any, item: Product) -> StockLevel:
    return StockLevel.objects.unscoped().get(branch=branch, product=item)


def level_of(tw: Any, branch: Any, sku: str = "INV-1", quantity: Any = 5) -> StockLevel:
    """A stock level of `branch` holding `quantity` units (received once, on first use)."""
    item = product(tw.tenant, sku)
    existing = StockLevel.objects.unscoped().filter(branch=branch, product=item).first()
    if existing is None:
        receive(tw, branch, item, quantity)
        existing = level(branch, item)
    return existing


def ledger_sum(branch: Any, item: Product) -> Decimal:
    total = (
        StockMovement.objects.unscoped()
        .filter(branch=branch, product=item)
        .aggregate(total=Sum("quantity"))["total"]
    )
    return total or Decimal(0)


def movement_of(tw: Any, branch: Any, sku: str = "INV-1") -> StockMovement:
    level_of(tw, branch, sku)
    return StockMovement.objects.unscoped().filter(branch=branch, product__sku=sku).earliest("created_at")


def draft_transfer(
    tw: Any, from_branch: Any, to_branch: Any, sku: str = "INV-1", quantity: Any = 2
) -> StockTransfer:
    item = product(tw.tenant, sku)
    with tenant_scope(tw.tenant.pk):
        return services.stock_transfer_create(
            tenant=tw.tenant,
            actor=tw.tenant_admin,
            from_branch=from_branch,
            to_branch=to_branch,
            lines=[{"product": item, "quantity": D(quantity)}],
        )


def sent_transfer(
    tw: Any, from_branch: Any, to_branch: Any, sku: str = "INV-1", quantity: Any = 2
) -> StockTransfer:
    level_of(tw, from_branch, sku, quantity=max(D(quantity), D(5)))
    transfer = draft_transfer(tw, from_branch, to_branch, sku, quantity)
    with tenant_scope(tw.tenant.pk):
        return services.stock_transfer_send(tenant=tw.tenant, actor=tw.tenant_admin, transfer=transfer)
