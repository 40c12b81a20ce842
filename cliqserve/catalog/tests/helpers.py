"""Shared helpers of the catalog tests."""

from __future__ import annotations

from typing import Any

from cliqserve.catalog import services
from cliqserve.catalog.models import CatalogCounter, Product


def make_product(tenant_world: Any, *, sku: str = "COF-1", **fields: Any) -> Product:
    """A product created through the service (in the caller's tenant scope), named in English
    unless `translations` says otherwise."""
    fields.setdefault("price", "2.50")
    translations = fields.pop("translations", {"en": {"name": f"Product {sku}"}})
    return services.product_create(
        tenant=tenant_world.tenant,
        actor=tenant_world.tenant_admin,
        translations=translations,
        sku=sku,
        **fields,
    )


def counter(tenant: Any) -> int:
    """The tenant's last catalog change number (0 before any write)."""
    row = CatalogCounter.objects.unscoped().filter(tenant=tenant).first()
    return row.value if row else 0
