"""Writes to tenants, branches and devices. Each is one transaction, validated here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from cliqserve.core import audit
from cliqserve.core.errors import InvalidInput, NotPermitted
from cliqserve.core.roles import BRANCH_ROLES, Role
from cliqserve.core.security import security_event
from cliqserve.core.services import assign_fields, unique_field, validate_model

from .models import Branch, Device, DeviceAssignment, Tenant

if TYPE_CHECKING:
    # Type only: accounts sits above tenants and is never imported at run time.
    from cliqserve.accounts.models import User

# The business's own settings, which its tenant admin may change too. Identity (name, slug),
# currency (history is recorded in it) and activation stay with the platform owner.
TENANT_SETTINGS = frozenset(
    {
        "timezone",
        "default_language",
        "allow_negative_stock",
        "mfa_required_for_managers",
        "cashier_max_discount_percent",
        "cashier_voids_need_approval",
        "business_day_ends_at",
    }
)
TENANT_FIELDS = TENANT_SETTINGS | {"name", "slug", "currency", "is_active"}
BRANCH_FIELDS = frozenset({"name", "code", "timezone", "is_active"})
DEVICE_FIELDS = frozenset({"branch", "name", "code", "is_active"})


# Sent inside the transaction that changes where business days begin and end (a branch's time
# zone, the tenant's `business_day_ends_at`), with `tenant` and `branch_ids` (None: all).
# The sales domain, above this one, marks the days it has figures for as changed.
business_days_changed = Signal()


def _log_activation_change(*, actor: User, instance: Any, before: bool) -> None:
    if instance.is_active != before:
        security_event(
            "activation_changed",
            actor_id=actor.pk,
            target=type(instance).__name__.lower(),
            target_id=instance.pk,
            is_active=instance.is_active,
        )


# --- Tenants --------------------------------------------------------------------------------


@transaction.atomic
def tenant_create(*, actor: User, **fields: Any) -> Tenant:
    tenant = Tenant()
    assign_fields(tenant, fields, allowed=TENANT_FIELDS)
    validate_model(tenant)
    with unique_field("slug"):
        tenant.save()
    security_event("tenant_created", actor_id=actor.pk, tenant_id=tenant.pk)
    return tenant


@transaction.atomic
def tenant_update(*, actor: User, tenant: Tenant, **fields: Any) -> Tenant:
    """The platform owner changes any field; a tenant admin only its own tenant's settings
    (a PUT may repeat the other fields unchanged)."""
    if actor.role != Role.PLATFORM_OWNER:
        _refuse_beyond_settings(actor=actor, tenant=tenant, fields=fields)
    was_active, day_ended_at = tenant.is_active, tenant.business_day_ends_at
    before = audit.snapshot(tenant, TENANT_FIELDS)
    assign_fields(tenant, fields, allowed=TENANT_FIELDS)
    validate_model(tenant)
    with unique_field("slug"):
        tenant.save()
    changes = audit.diff(before, audit.snapshot(tenant, TENANT_FIELDS))
    if changes:
        audit.record(
            action="tenant_settings_changed", tenant_id=tenant.pk, actor=actor, target=tenant, changes=changes
        )
    _log_activation_change(actor=actor, instance=tenant, before=was_active)
    if tenant.business_day_ends_at != day_ended_at:
        business_days_changed.send(sender=Tenant, tenant=tenant, branch_ids=None)
    return tenant


def _refuse_beyond_settings(*, actor: User, tenant: Tenant, fields: dict[str, Any]) -> None:
    if actor.role != Role.TENANT_ADMIN or actor.tenant_id != tenant.pk:
        raise NotPermitted()
    for name, value in fields.items():
        if name not in TENANT_SETTINGS and getattr(tenant, name) != value:
            raise NotPermitted(_("Only the platform owner may change this."), pointer=f"/{name}")


def tenant_deactivate(*, actor: User, tenant: Tenant) -> Tenant:
    """Tenants are never deleted: their sales and stock history depend on them."""
    return tenant_update(actor=actor, tenant=tenant, is_active=False)


# --- Branches -------------------------------------------------------------------------------


@transaction.atomic
def branch_create(*, tenant: Tenant, actor: User, **fields: Any) -> Branch:
    branch = Branch(tenant=tenant)
    assign_fields(branch, fields, allowed=BRANCH_FIELDS)
    validate_model(branch, exclude=["tenant"])
    with unique_field("code"):
        branch.save()
    return branch


@transaction.atomic
def branch_update(*, tenant: Tenant, actor: User, branch: Branch, **fields: Any) -> Branch:
    was_active, zone = branch.is_active, branch.timezone
    assign_fields(branch, fields, allowed=BRANCH_FIELDS)
    validate_model(branch, exclude=["tenant"])
    with unique_field("code"):
        branch.save()
    _log_activation_change(actor=actor, instance=branch, before=was_active)
    if branch.timezone != zone:
        business_days_changed.send(sender=Branch, tenant=tenant, branch_ids=[branch.pk])
    return branch


def branch_deactivate(*, tenant: Tenant, actor: User, branch: Branch) -> Branch:
    return branch_update(tenant=tenant, actor=actor, branch=branch, is_active=False)


# --- Devices --------------------------------------------------------------------------------


def _check_device_branch(*, actor: User, branch: Branch) -> None:
    if actor.role == Role.BRANCH_MANAGER and branch.pk != actor.branch_id:
        raise NotPermitted(_("Branch managers manage the devices of their own branch only."))


def _set_assigned_users(*, device: Device, users: Iterable[User]) -> None:
    users = list(users)
    for index, user in enumerate(users):
        if user.tenant_id != device.tenant_id:
            raise InvalidInput(_("Unknown user."), pointer=f"/assigned_users/{index}")
        if user.role in BRANCH_ROLES and user.branch_id != device.branch_id:
            raise InvalidInput(_("This user works in another branch."), pointer=f"/assigned_users/{index}")
    DeviceAssignment.objects.filter(device=device).exclude(user__in=users).delete()
    existing = set(DeviceAssignment.objects.filter(device=device).values_list("user_id", flat=True))
    DeviceAssignment.objects.bulk_create(
        DeviceAssignment(tenant_id=device.tenant_id, device=device, user=user)
        for user in users
        if user.pk not in existing
    )


@transaction.atomic
def device_create(
    *, tenant: Tenant, actor: User, assigned_users: Iterable[User] = (), **fields: Any
) -> Device:
    device = Device(tenant=tenant)
    assign_fields(device, fields, allowed=DEVICE_FIELDS)
    _check_device_branch(actor=actor, branch=device.branch)
    validate_model(device, exclude=["tenant", "branch"])
    with unique_field("code"):
        device.save()
    _set_assigned_users(device=device, users=assigned_users)
    return device


@transaction.atomic
def device_update(
    *,
    tenant: Tenant,
    actor: User,
    device: Device,
    assigned_users: Iterable[User] | None = None,
    **fields: Any,
) -> Device:
    was_active = device.is_active
    _check_device_branch(actor=actor, branch=device.branch)
    assign_fields(device, fields, allowed=DEVICE_FIELDS)
    _check_device_branch(actor=actor, branch=device.branch)
    validate_model(device, exclude=["tenant", "branch"])
    with unique_field("code"):
        device.save()
    if assigned_users is None and "branch" in fields:
        # A device that moves branch keeps only assignees who may work there: re-check them.
        assigned_users = list(device.assigned_users.all())
    if assigned_users is not None:
        _set_assigned_users(device=device, users=assigned_users)
    _log_activation_change(actor=actor, instance=device, before=was_active)
    return device


def device_deactivate(*, tenant: Tenant, actor: User, device: Device) -> Device:
    return device_update(tenant=tenant, actor=actor, device=device, is_active=False)
