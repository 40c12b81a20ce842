"""Reads of users, confined to what the actor may see.

`User` keeps Django's plain manager (docs/adr/0001-user-model-manager.md), so every query
here names the tenant explicitly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from cliqserve.core.models import AuditEvent
from cliqserve.core.roles import Role
from cliqserve.core.tenancy import tenant_scope
from cliqserve.tenants.models import DeviceAssignment

from .models import ApiKey, User

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant


def user_list(*, actor: User) -> QuerySet[User]:
    users = User.objects.select_related("tenant", "branch")
    if actor.role == Role.PLATFORM_OWNER:
        # Platform staff manage tenant admins of every tenant, and see their fellow owners.
        return users.filter(role__in=[Role.PLATFORM_OWNER, Role.TENANT_ADMIN])
    users = users.filter(tenant=actor.tenant)
    if actor.role == Role.BRANCH_MANAGER:
        users = users.filter(Q(branch_id=actor.branch_id) | Q(pk=actor.pk))
    elif actor.role == Role.CASHIER:
        users = users.filter(pk=actor.pk)
    return users


def api_key_list(*, tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(tenant=tenant).select_related("created_by").order_by("-created_at", "-id")


def api_key_for_prefix(prefix: str) -> ApiKey | None:
    """The key a request names, with its tenant, before any tenant scope exists (the request
    names no tenant; the prefix is unique over all of them)."""
    return ApiKey.objects.unscoped().select_related("tenant").filter(prefix=prefix).first()


def devices_assigned_to(*, user: User) -> list[dict[str, Any]]:
    if user.tenant_id is None:
        return []
    with tenant_scope(user.tenant_id):
        rows = (
            DeviceAssignment.objects.filter(tenant_id=user.tenant_id, user=user)
            .order_by("device__code")
            .values("device_id", "device__code", "device__name")
        )
        return [
            {"device": row["device_id"], "code": row["device__code"], "name": row["device__name"]}
            for row in rows
        ]


def audit_events_of(*, user: User) -> list[dict[str, Any]]:
    """The user's part of the audit trail: what they did, and what was done to their account."""
    mine = Q(actor_id=user.pk) | Q(object_type="user", object_id=str(user.pk))
    rows = (
        AuditEvent.objects.filter(mine)
        .order_by("at", "id")
        .values("at", "action", "object_type", "object_id", "changes", "ip", "user_agent")
    )
    return [dict(row) for row in rows]
