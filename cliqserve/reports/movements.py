"""The stock ledger as a report table (the `stock_movements` export).

The same rows as GET /api/v1/stock-movements/ (the inventory selector, its branch, product and
kind filters), oldest first, plus `from`/`to` business days: a movement belongs to the business
day of its branch's time zone and the tenant's `business_day_ends_at`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Value, When

from cliqserve.catalog.models import ProductTranslation
from cliqserve.inventory.selectors import stock_movement_list
from cliqserve.tenants.business_days import business_day_bounds
from cliqserve.tenants.models import Branch

from .policies import report_branch_ids
from .tabular import QueryRows, Table, number, text

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant


COLUMNS = (
    text("created_at"),
    text("branch"),
    text("sku"),
    text("product"),
    text("kind"),
    number("quantity"),
    number("unit_cost"),
    text("reference"),
    text("reason"),
    text("actor"),
)


@dataclass(frozen=True)
class MovementFilters:
    branch_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def stock_movements_table(*, tenant: Tenant, actor: User, filters: MovementFilters) -> Table:
    """The movements the actor may see (its branch scope checked again now), oldest first."""
    branch_ids = report_branch_ids(actor=actor, branch_id=filters.branch_id)
    movements = stock_movement_list(tenant=tenant, actor=actor)
    if branch_ids is not None:
        movements = movements.filter(branch_id__in=branch_ids)
    if filters.product_id is not None:
        movements = movements.filter(product_id=filters.product_id)
    if filters.kind:
        movements = movements.filter(kind=filters.kind)
    if filters.date_from is not None or filters.date_to is not None:
        movements = movements.filter(_business_days(tenant=tenant, branch_ids=branch_ids, filters=filters))
    movements = (
        movements.annotate(
            product_name=_product_name(tenant),
            branch_code=F("branch__code"),
            product_sku=F("product__sku"),
            actor_email=F("actor__email"),
        )
        .only("created_at", "kind", "quantity", "unit_cost", "reference", "reason")
        .order_by("created_at", "id")
    )
    return Table(columns=COLUMNS, rows=QueryRows(movements, _cells))


def _product_name(tenant: Tenant) -> Subquery:
    """The product's name in the tenant's default language, else in its first language."""
    preferred = Case(
        When(language_code=tenant.default_language, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    names = (
        ProductTranslation.objects.filter(master_id=OuterRef("product_id"))
        .order_by(preferred, "language_code")
        .values("name")[:1]
    )
    return Subquery(names)


def _business_days(*, tenant: Tenant, branch_ids: list[uuid.UUID] | None, filters: MovementFilters) -> Q:
    """Each branch's own [start of `from`, end of `to`) in its time zone."""
    branches = Branch.objects.filter(tenant=tenant)
    if branch_ids is not None:
        branches = branches.filter(pk__in=branch_ids)
    window = Q(pk__in=[])
    for branch_id, zone in branches.values_list("pk", "timezone"):
        span = Q(branch_id=branch_id)
        if filters.date_from is not None:
            start, _ = business_day_bounds(
                filters.date_from, timezone_name=zone, ends_at=tenant.business_day_ends_at
            )
            span &= Q(created_at__gte=start)
        if filters.date_to is not None:
            _, end = business_day_bounds(
                filters.date_to, timezone_name=zone, ends_at=tenant.business_day_ends_at
            )
            span &= Q(created_at__lt=end)
        window |= span
    return window


def _cells(movement: Any) -> list[Any]:
    return [
        movement.created_at.isoformat(),
        movement.branch_code,
        movement.product_sku,
        movement.product_name,
        movement.kind,
        movement.quantity,
        movement.unit_cost,
        movement.reference,
        movement.reason,
        movement.actor_email,
    ]
