"""Reads of selling, confined to what the actor may see.

Scope: the tenant admin sees the whole tenant; a branch manager its branch; a cashier its own
shifts and the sales rung up on them or by it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from uuid import UUID

from django.db.models import Max, Min, Prefetch, Q, QuerySet

from cliqserve.accounts.models import User
from cliqserve.core.roles import Role
from cliqserve.tenants.models import Tenant

from .models import CashMovement, Payment, Refund, RefundLine, RefundPayment, Sale, SaleLine, Shift


def shift_list(*, tenant: Tenant, actor: User) -> QuerySet[Shift]:
    shifts = Shift.objects.filter(tenant=tenant)
    if actor.role == Role.TENANT_ADMIN:
        return shifts
    if actor.role == Role.BRANCH_MANAGER:
        # Never None for a branch role (constraint user_branch_required_for_branch_roles).
        return shifts.filter(branch_id=cast("UUID", actor.branch_id))
    return shifts.filter(cashier=actor)


def sale_list(*, tenant: Tenant, actor: User) -> QuerySet[Sale]:
    sales = Sale.objects.filter(tenant=tenant).prefetch_related(
        Prefetch("lines", queryset=SaleLine.objects.filter(tenant=tenant).order_by("position")),
        Prefetch("payments", queryset=Payment.objects.filter(tenant=tenant).order_by("created_at", "id")),
    )
    if actor.role == Role.TENANT_ADMIN:
        return sales
    if actor.role == Role.BRANCH_MANAGER:
        return sales.filter(branch_id=cast("UUID", actor.branch_id))
    return sales.filter(Q(shift__cashier=actor) | Q(cashier=actor))


def cash_movement_list(*, tenant: Tenant, shift: Shift) -> QuerySet[CashMovement]:
    """The pay-ins and pay-outs of `shift`, a shift the caller was allowed to see."""
    return CashMovement.objects.filter(tenant=tenant, shift=shift)


def sale_get(*, tenant: Tenant, actor: User, sale_id: Any) -> Sale | None:
    """The sale if the actor may see it (sale_list's scope), without its lines and payments."""
    return sale_list(tenant=tenant, actor=actor).prefetch_related(None).filter(pk=sale_id).first()


def refund_list(*, tenant: Tenant, sale: Sale) -> QuerySet[Refund]:
    """A sale's refunds with their lines (in the sale's line order) and payments."""
    lines = (
        RefundLine.objects.filter(tenant=tenant).select_related("sale_line").order_by("sale_line__position")
    )
    payments = RefundPayment.objects.filter(tenant=tenant).order_by("created_at", "id")
    return Refund.objects.filter(tenant=tenant, sale=sale).prefetch_related(
        Prefetch("lines", queryset=lines), Prefetch("payments", queryset=payments)
    )


def sales_activity_span(*, tenant: Tenant, branch_id: UUID) -> tuple[datetime, datetime] | None:
    """The first and last moment a branch sold or refunded anything; None if it never did."""
    sales = Sale.objects.filter(tenant=tenant, branch_id=branch_id).aggregate(
        first=Min("sold_at"), last=Max("sold_at")
    )
    refunds = Refund.objects.filter(tenant=tenant, sale__branch_id=branch_id).aggregate(
        first=Min("created_at"), last=Max("created_at")
    )
    moments = [sales["first"], sales["last"], refunds["first"], refunds["last"]]
    present = [moment for moment in moments if moment is not None]
    return (min(present), max(present)) if present else None
