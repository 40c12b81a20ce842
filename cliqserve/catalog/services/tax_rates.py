"""Tax rates: percentages, inclusive or exclusive; deactivated, never deleted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from cliqserve.core.services import assign_fields, validate_model

from ..models import TaxRate
from ..sequence import renumber

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

TAX_RATE_FIELDS = frozenset({"name", "rate", "inclusive", "is_active"})


def _save_tax_rate(*, tenant: Tenant, tax_rate: TaxRate) -> TaxRate:
    validate_model(tax_rate, exclude=["tenant"])
    renumber(tax_rate, tenant_id=tenant.pk)
    tax_rate.save()
    return tax_rate


@transaction.atomic
def tax_rate_create(*, tenant: Tenant, actor: User, **fields: Any) -> TaxRate:
    tax_rate = TaxRate(tenant=tenant)
    assign_fields(tax_rate, fields, allowed=TAX_RATE_FIELDS)
    return _save_tax_rate(tenant=tenant, tax_rate=tax_rate)


@transaction.atomic
def tax_rate_update(*, tenant: Tenant, actor: User, tax_rate: TaxRate, **fields: Any) -> TaxRate:
    assign_fields(tax_rate, fields, allowed=TAX_RATE_FIELDS)
    return _save_tax_rate(tenant=tenant, tax_rate=tax_rate)


def tax_rate_deactivate(*, tenant: Tenant, actor: User, tax_rate: TaxRate) -> TaxRate:
    """Deactivated, never deleted: products and past sales keep pointing at it."""
    return tax_rate_update(tenant=tenant, actor=actor, tax_rate=tax_rate, is_active=False)
