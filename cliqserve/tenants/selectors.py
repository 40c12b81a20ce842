"""Reads of tenants, branches and devices, confined to what the actor may see."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast
from uuid import UUID

from django.db.models import QuerySet

from cliqserve.core.roles import BRANCH_ROLES, Role

from .models import Branch, Device, Tenant

if TYPE_CHECKING:
    # Type only: accounts sits above tenants and is never imported at run time.
    from cliqserve.accounts.models import User


def tenant_list(*, actor: User) -> QuerySet[Tenant]:
    """The platform owner sees every tenant; everyone else only their own."""
    if actor.role == Role.PLATFORM_OWNER:
        return Tenant.objects.order_by("-created_at", "-id")
    return Tenant.objects.filter(users=actor)


def branch_list(*, tenant: Tenant, actor: User) -> QuerySet[Branch]:
    branches = Branch.objects.filter(tenant=tenant)
    if actor.role in BRANCH_ROLES:
        # Never None for a branch role (constraint user_branch_required_for_branch_roles).
        branches = branches.filter(id=cast("UUID", actor.branch_id))
    return branches


def device_list(*, tenant: Tenant, actor: User) -> QuerySet[Device]:
    devices = Device.objects.filter(tenant=tenant).prefetch_related("assigned_users")
    if actor.role == Role.BRANCH_MANAGER:
        devices = devices.filter(branch_id=cast("UUID", actor.branch_id))
    elif actor.role == Role.CASHIER:
        devices = devices.filter(assignments__user=actor)
    return devices
