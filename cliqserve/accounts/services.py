"""Writes to users. Who may grant which role is decided here, from roles.ASSIGNABLE_ROLES."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.dispatch import Signal

from cliqserve.core.errors import InvalidInput, NotPermitted
from cliqserve.core.roles import ASSIGNABLE_ROLES, BRANCH_ROLES, Role
from cliqserve.core.security import security_event
from cliqserve.core.services import refuse_unknown_fields, unique_field, validate_model
from cliqserve.core.tenancy import tenant_scope
from cliqserve.tenants.models import Branch, DeviceAssignment, Tenant

from .models import User

# Sent inside user_update's transaction as a user moves to another branch (or to a role
# without one), with `user` (its new branch already set) and `branch_id` (that new branch, or
# None). A receiver refuses the move by raising a DomainError, which rolls the whole update
# back: the domains above accounts (sales: an open shift at the old branch) say why a user may
# not move, without accounts importing them.
user_branch_changing = Signal()

USER_FIELDS = frozenset({"email", "first_name", "last_name", "role", "branch", "is_active", "tenant"})


def can_manage(*, actor: User, target: User) -> bool:
    """May `actor` change `target`? Only someone whose role the actor could grant, in scope."""
    if target.pk == actor.pk or target.role not in ASSIGNABLE_ROLES[actor.role]:
        return False
    if actor.role == Role.PLATFORM_OWNER:
        return True
    if target.tenant_id != actor.tenant_id:
        return False
    return actor.role != Role.BRANCH_MANAGER or target.branch_id == actor.branch_id


def _check_role_grant(*, actor: User, role: str) -> None:
    if role not in ASSIGNABLE_ROLES[actor.role]:
        security_event("privilege_escalation_refused", actor_id=actor.pk, actor_role=actor.role, role=role)
        raise NotPermitted(f"A {actor.role} cannot grant the role {role}.", pointer="/role")


def _check_grant(*, actor: User, role: str, tenant: Tenant | None, branch: Branch | None) -> None:
    _check_role_grant(actor=actor, role=role)
    if actor.role == Role.BRANCH_MANAGER and (branch is None or branch.pk != actor.branch_id):
        raise NotPermitted("Branch managers manage the staff of their own branch only.", pointer="/branch")
    if role in BRANCH_ROLES and branch is None:
        raise InvalidInput("A branch is required for this role.", pointer="/branch")
    if branch is not None and tenant is not None and branch.tenant_id != tenant.pk:
        raise InvalidInput("Unknown branch.", pointer="/branch")


def _set_password(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), pointer="/password") from exc
    user.set_password(password)


def _resolve_tenant(*, actor: User, tenant: Tenant | None) -> Tenant | None:
    """Tenant admins and managers create users in their own tenant; the platform owner names it."""
    if actor.role != Role.PLATFORM_OWNER:
        return actor.tenant
    if tenant is None:
        raise InvalidInput("The tenant of the new user is required.", pointer="/tenant")
    return tenant


@transaction.atomic
def user_create(*, actor: User, email: str, password: str, role: str, **fields: Any) -> User:
    refuse_unknown_fields(fields, allowed=USER_FIELDS)
    _check_role_grant(actor=actor, role=role)
    tenant = _resolve_tenant(actor=actor, tenant=fields.pop("tenant", None))
    branch = fields.pop("branch", None) if role in BRANCH_ROLES else None
    fields.pop("branch", None)
    _check_grant(actor=actor, role=role, tenant=tenant, branch=branch)
    user = User(email=email, role=role, tenant=tenant, branch=branch, **fields)
    _set_password(user, password)
    validate_model(user, exclude=["password"])
    with unique_field("email", detail="A user with this email already exists."):
        user.save()
    security_event("user_created", actor_id=actor.pk, user_id=user.pk, role=role, tenant_id=user.tenant_id)
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, password: str | None = None, **fields: Any) -> User:
    """Change a user the actor manages. `tenant` never changes after creation. A move to another
    branch (or to a role without one) drops the user's assignments to devices of other
    branches; a receiver of `user_branch_changing` may refuse it (sales: 409 for an open shift)."""
    if not can_manage(actor=actor, target=user):
        raise NotPermitted("You cannot change this user.")
    if "tenant" in fields and fields.pop("tenant") not in (None, user.tenant):
        raise InvalidInput("A user cannot move to another tenant.", pointer="/tenant")
    refuse_unknown_fields(fields, allowed=USER_FIELDS)
    before = {"role": user.role, "branch_id": user.branch_id, "is_active": user.is_active}
    for name, value in fields.items():
        setattr(user, name, value)
    if user.role not in BRANCH_ROLES:
        user.branch = None
    _check_grant(actor=actor, role=user.role, tenant=user.tenant, branch=user.branch)
    if password:
        _set_password(user, password)
    validate_model(user, exclude=["password"])
    with unique_field("email", detail="A user with this email already exists."):
        user.save()
    if user.branch_id != before["branch_id"]:
        # Assignments first: deleting them waits for a shift being opened on one of them, so
        # the receivers' checks that follow see that shift (sales.locks.hold_assignment).
        drop_assignments_elsewhere(user)
        user_branch_changing.send(sender=User, user=user, branch_id=user.branch_id)
    _log_changes(actor=actor, user=user, before=before)
    return user


def drop_assignments_elsewhere(user: User) -> int:
    """A user's tills are in its branch: assignments to devices of any other branch go (all of
    them for a role without a branch). Sign-in on a device, opening a shift, selling and
    offline sync all check the assignment, so this is what ends the user's use of the old tills."""
    if user.tenant_id is None:
        return 0
    with tenant_scope(user.tenant_id):
        elsewhere = DeviceAssignment.objects.filter(tenant_id=user.tenant_id, user=user)
        if user.branch_id is not None:
            elsewhere = elsewhere.exclude(device__branch_id=user.branch_id)
        deleted, _ = elsewhere.delete()
    return deleted


def user_deactivate(*, actor: User, user: User) -> User:
    """Users are deactivated, never deleted: their shifts and sales name them."""
    return user_update(actor=actor, user=user, is_active=False)


def _log_changes(*, actor: User, user: User, before: dict[str, Any]) -> None:
    if user.role != before["role"] or user.branch_id != before["branch_id"]:
        security_event(
            "role_changed",
            actor_id=actor.pk,
            user_id=user.pk,
            role_before=before["role"],
            role=user.role,
            branch_id=user.branch_id,
        )
    if user.is_active != before["is_active"]:
        security_event(
            "activation_changed",
            actor_id=actor.pk,
            target="user",
            target_id=user.pk,
            is_active=user.is_active,
        )
