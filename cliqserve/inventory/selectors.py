"""Reads of stock, confined to what the actor may see (see policies.py)."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from django.db.models import F, Prefetch, Q, QuerySet

from cliqserve.accounts.models import User
from cliqserve.core.roles import BRANCH_ROLES, Role
from cliqserve.tenants.models import Tenant

from .models import StockLevel, StockMovement, StockTransfer, StockTransferLine

# A level at or below its reorder level is low: `GET /stock-levels/?low=true`, the stock report's
# `low=true` and the low-stock notices all mean this (the partial index `stocklevel_low` serves it).
LOW_STOCK = Q(quantity__lte=F("reorder_level"))

# The order a transfer's lines are shown in; JSON pointers into a transfer's lines use it.
TRANSFER_LINE_ORDER = ("product__sku", "id")


def stock_level_list(*, tenant: Tenant, actor: User) -> QuerySet[StockLevel]:
    levels = StockLevel.objects.filter(tenant=tenant)
    if actor.role in BRANCH_ROLES:
        # Never None for a branch role (constraint user_branch_required_for_branch_roles).
        levels = levels.filter(branch_id=cast("UUID", actor.branch_id))
    return levels


def stock_movement_list(*, tenant: Tenant, actor: User) -> QuerySet[StockMovement]:
    movements = StockMovement.objects.filter(tenant=tenant)
    if actor.role in BRANCH_ROLES:
        movements = movements.filter(branch_id=cast("UUID", actor.branch_id))
    return movements


def stock_transfer_list(*, tenant: Tenant, actor: User) -> QuerySet[StockTransfer]:
    """Admins see every transfer; a manager those out of or into its branch; cashiers none."""
    lines = StockTransferLine.objects.filter(tenant=tenant).order_by(*TRANSFER_LINE_ORDER)
    transfers = StockTransfer.objects.filter(tenant=tenant).prefetch_related(
        Prefetch("lines", queryset=lines)
    )
    if actor.role == Role.TENANT_ADMIN:
        return transfers
    if actor.role == Role.BRANCH_MANAGER:
        return transfers.filter(Q(from_branch_id=actor.branch_id) | Q(to_branch_id=actor.branch_id))
    return transfers.none()
