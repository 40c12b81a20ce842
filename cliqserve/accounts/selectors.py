"""Reads of users, confined to what the actor may see.

`User` keeps Django's plain manager (docs/adr/0001-user-model-manager.md), so every query
here names the tenant explicitly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from cliqserve.core.roles import Role

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
