"""The four roles, their order, and who may grant which.

They live in core, below every domain, so that any layer (tenants, the API base classes, every
domain's policies) can name them without importing accounts.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from django.db import models


class Role(models.TextChoices):
    PLATFORM_OWNER = "platform_owner", "Platform owner"
    TENANT_ADMIN = "tenant_admin", "Tenant admin"
    BRANCH_MANAGER = "branch_manager", "Branch manager"
    CASHIER = "cashier", "Cashier"


class ApiKeyScope(models.TextChoices):
    """What an API key (accounts.ApiKey) may reach: a view opens its actions to scopes by its
    `key_scopes` (core.api.permissions.RolePolicy)."""

    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    STOCK_READ = "stock:read"
    STOCK_WRITE = "stock:write"
    SALES_READ = "sales:read"
    REPORTS_READ = "reports:read"


# Roles that live inside a branch: the user row must name one.
BRANCH_ROLES = frozenset({Role.BRANCH_MANAGER, Role.CASHIER})

# Who may create (or move someone into) which role. Nobody grants a role at or above their own,
# except that the platform owner creates the tenant admins; platform owners come only from the
# `create_platform_owner` command.
ASSIGNABLE_ROLES: dict[str, frozenset[str]] = {
    Role.PLATFORM_OWNER: frozenset({Role.TENANT_ADMIN}),
    Role.TENANT_ADMIN: frozenset({Role.BRANCH_MANAGER, Role.CASHIER}),
    Role.BRANCH_MANAGER: frozenset({Role.CASHIER}),
    Role.CASHIER: frozenset(),
}

ALL_ROLES = frozenset(Role)
TENANT_ROLES = frozenset({Role.TENANT_ADMIN, Role.BRANCH_MANAGER, Role.CASHIER})


class Staff(Protocol):
    """What the role rules read of a user (accounts.User has it), without core importing accounts."""

    @property
    def role(self) -> str: ...

    @property
    def branch_id(self) -> uuid.UUID | None: ...


def manages_branch(actor: Staff, branch_id: uuid.UUID | None) -> bool:
    """The tenant admin, or the manager of `branch_id`: who runs a branch's stock and tills."""
    if actor.role == Role.TENANT_ADMIN:
        return True
    return actor.role == Role.BRANCH_MANAGER and actor.branch_id == branch_id
