"""Writes to users. Who may grant which role is decided here, from roles.ASSIGNABLE_ROLES."""

from __future__ import annotations

import functools
import itertools
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar, cast

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.core import audit
from cliqserve.core.cache import counters
from cliqserve.core.errors import Conflict, InvalidInput, NotPermitted, RateLimited
from cliqserve.core.roles import ASSIGNABLE_ROLES, BRANCH_ROLES, Role
from cliqserve.core.security import security_event
from cliqserve.core.services import refuse_unknown_fields, unique_field, validate_model
from cliqserve.core.tenancy import tenant_scope
from cliqserve.tenants.models import Branch, DeviceAssignment, Tenant

from . import selectors
from .models import ApiKey, Approval, User, secret_digest

# Sent inside user_update's transaction as a user moves to another branch (or to a role
# without one), with `user` (its new branch already set) and `branch_id` (that new branch, or
# None). A receiver refuses the move by raising a DomainError, which rolls the whole update
# back: the domains above accounts (sales: an open shift at the old branch) say why a user may
# not move, without accounts importing them.
user_branch_changing = Signal()

USER_FIELDS = frozenset({"email", "first_name", "last_name", "role", "branch", "is_active", "tenant"})
# What the audit trail records of a user change; the personal ones as changed, without values.
AUDITED_FIELDS = ("role", "branch", "is_active", "email", "first_name", "last_name")
PERSONAL_FIELDS = frozenset({"email", "first_name", "last_name"})


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
        raise NotPermitted(
            _("A %(actor_role)s cannot grant the role %(role)s.") % {"actor_role": actor.role, "role": role},
            pointer="/role",
        )


def _check_grant(*, actor: User, role: str, tenant: Tenant | None, branch: Branch | None) -> None:
    _check_role_grant(actor=actor, role=role)
    if actor.role == Role.BRANCH_MANAGER and (branch is None or branch.pk != actor.branch_id):
        raise NotPermitted(_("Branch managers manage the staff of their own branch only."), pointer="/branch")
    if role in BRANCH_ROLES and branch is None:
        raise InvalidInput(_("A branch is required for this role."), pointer="/branch")
    if branch is not None and tenant is not None and branch.tenant_id != tenant.pk:
        raise InvalidInput(_("Unknown branch."), pointer="/branch")


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
        raise InvalidInput(_("The tenant of the new user is required."), pointer="/tenant")
    return tenant


# The same words whoever holds the address: emails are unique across the platform (they are the
# login names), so naming the reason would tell a tenant's admin who uses another tenant.
EMAIL_REFUSED = "This email address cannot be used. Use another one."
EMAIL_REFUSAL_WINDOW_SECONDS = 3600


class EmailRefused(InvalidInput):
    """An e-mail address already in use somewhere on the platform (answered as EMAIL_REFUSED)."""


P = ParamSpec("P")
R = TypeVar("R")


def _audits_email_refusal(service: Callable[P, R]) -> Callable[P, R]:
    """Put a refused e-mail into the audit trail. The event is written once the service's own
    transaction has rolled back (it would roll back with it otherwise), as the actor's attempt
    on no user: the address is personal data and the account it belongs to is not the actor's
    business."""

    @functools.wraps(service)
    def audited(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except EmailRefused:
            actor = cast(User, kwargs["actor"])  # the services take it by keyword
            audit.record(
                action="user_email_refused", tenant_id=actor.tenant_id, actor=actor, object_type="user"
            )
            raise

    return audited


def _save_with_email(*, actor: User, user: User) -> None:
    """Save `user`. An email already in use anywhere is refused with EMAIL_REFUSED; an admin
    who has had USER_EMAIL_REFUSALS_PER_HOUR refusals is refused every user write for the rest
    of the hour, so the refusals cannot be used to list the platform's addresses."""
    refusals = _refusals_key(actor)
    if counters().get(refusals, 0) >= settings.USER_EMAIL_REFUSALS_PER_HOUR:
        raise RateLimited(
            _("Too many email addresses refused. Try again later."), retry_after=EMAIL_REFUSAL_WINDOW_SECONDS
        )
    try:
        with unique_field("email", detail=EMAIL_REFUSED):
            user.save()
    except InvalidInput as refused:
        _count(refusals)
        security_event("user_email_refused", actor_id=actor.pk, tenant_id=actor.tenant_id)
        raise EmailRefused(EMAIL_REFUSED, pointer="/email") from refused


def _refusals_key(actor: User) -> str:
    return f"accounts:email-refusals:{actor.pk}"


def _count(key: str) -> None:
    counters().add(key, 0, timeout=EMAIL_REFUSAL_WINDOW_SECONDS)
    try:
        counters().incr(key)
    except ValueError:  # expired between the two calls: this refusal starts a new window
        counters().set(key, 1, timeout=EMAIL_REFUSAL_WINDOW_SECONDS)


@_audits_email_refusal
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
    _save_with_email(actor=actor, user=user)
    security_event("user_created", actor_id=actor.pk, user_id=user.pk, role=role, tenant_id=user.tenant_id)
    _audit(action="user_created", actor=actor, user=user, before={}, password_set=False)
    return user


@_audits_email_refusal
@transaction.atomic
def user_update(*, actor: User, user: User, password: str | None = None, **fields: Any) -> User:
    """Change a user the actor manages. `tenant` never changes after creation. A move to another
    branch (or to a role without one) drops the user's assignments to devices of other
    branches; a receiver of `user_branch_changing` may refuse it (sales: 409 for an open shift)."""
    if not can_manage(actor=actor, target=user):
        raise NotPermitted(_("You cannot change this user."))
    if "tenant" in fields and fields.pop("tenant") not in (None, user.tenant):
        raise InvalidInput(_("A user cannot move to another tenant."), pointer="/tenant")
    refuse_unknown_fields(fields, allowed=USER_FIELDS)
    before = {"role": user.role, "branch_id": user.branch_id, "is_active": user.is_active}
    audited_before = audit.snapshot(user, AUDITED_FIELDS)
    for name, value in fields.items():
        setattr(user, name, value)
    if user.role not in BRANCH_ROLES:
        user.branch = None
    _check_grant(actor=actor, role=user.role, tenant=user.tenant, branch=user.branch)
    if password:
        _set_password(user, password)
    validate_model(user, exclude=["password"])
    _save_with_email(actor=actor, user=user)
    if user.branch_id != before["branch_id"]:
        # Assignments first: deleting them waits for a shift being opened on one of them, so
        # the receivers' checks that follow see that shift (sales.locks.hold_assignment).
        drop_assignments_elsewhere(user)
        user_branch_changing.send(sender=User, user=user, branch_id=user.branch_id)
    _log_changes(actor=actor, user=user, before=before)
    _audit(
        action=_update_action(audited_before, user),
        actor=actor,
        user=user,
        before=audited_before,
        password_set=bool(password),
    )
    return user


def _update_action(before: dict[str, Any], user: User) -> str:
    """One event per change, named for the weightiest thing it did (its changes list all)."""
    if (before["role"], before["branch"]) != (user.role, user.branch_id):
        return "role_changed"
    if before["is_active"] != user.is_active:
        return "user_activated" if user.is_active else "user_deactivated"
    return "user_updated"


def _audit(*, action: str, actor: User, user: User, before: dict[str, Any], password_set: bool) -> None:
    changes = audit.diff(before, audit.snapshot(user, AUDITED_FIELDS), personal=PERSONAL_FIELDS)
    if password_set:
        changes["password"] = [audit.PERSONAL, audit.PERSONAL]
        action = "password_changed" if action == "user_updated" else action
    if changes or action != "user_updated":
        audit.record(
            action=action,
            tenant_id=user.tenant_id,
            actor=actor,
            target=user,
            object_repr=user.role,
            changes=changes,
        )


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


# --- API keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    """A new key and the only copy of its secret, to show the tenant admin once."""

    api_key: ApiKey
    key: str


@transaction.atomic
def api_key_create(
    *, tenant: Tenant, actor: User, name: str, scopes: list[str], expires_at: datetime | None = None
) -> IssuedKey:
    """A key for `scopes` (ApiKey.Scope values, checked by the caller's serializer)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(_("Pick a moment in the future."), pointer="/expires_at")
    prefix = secrets.token_hex(6)
    key = f"{ApiKey.KEY_START}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        tenant=tenant,
        name=name,
        prefix=prefix,
        key_hash=secret_digest(key),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        created_by=actor,
    )
    audit.record(
        action="api_key_created",
        tenant_id=tenant.pk,
        actor=actor,
        target=api_key,
        changes={"scopes": [None, api_key.scopes], "expires_at": [None, expires_at]},
    )
    return IssuedKey(api_key=api_key, key=key)


@transaction.atomic
def api_key_revoke(*, tenant: Tenant, actor: User, api_key: ApiKey) -> ApiKey:
    """The key stops working at once; revoking it again changes nothing."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
        audit.record(
            action="api_key_revoked",
            tenant_id=tenant.pk,
            actor=actor,
            target=api_key,
            changes={"revoked_at": [None, api_key.revoked_at]},
        )
    return api_key


# --- Staff data rights --------------------------------------------------------------------------

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never be a real address
PROFILE_FIELDS = (
    "id",
    "email",
    "first_name",
    "last_name",
    "role",
    "tenant_id",
    "branch_id",
    "is_active",
    "date_joined",
    "last_login",
    "erased_at",
)


def require_data_controller(*, actor: User, user: User) -> None:
    """A staff member's data rights are answered by the tenant admin (the platform owner for a
    tenant admin), not by a branch manager, though the manager manages the cashier."""
    if actor.role not in (Role.TENANT_ADMIN, Role.PLATFORM_OWNER) or not can_manage(actor=actor, target=user):
        raise NotPermitted(_("Only the tenant admin answers for its staff's personal data."))


@transaction.atomic
def user_erase(*, actor: User, user: User) -> User:
    """Pseudonymize a former employee: name and e-mail go, the password stops working, device
    assignments and sessions end. The row stays (shifts, sales and the audit trail name it by
    id, so a sale keeps an anonymous cashier reference) and nothing else needs editing: the trail
    holds ids only. Only a deactivated user is erased; erasing again changes nothing."""
    require_data_controller(actor=actor, user=user)
    if user.is_active:
        raise Conflict(_("Deactivate the user first: only a former employee is erased."))
    if user.erased_at is not None:
        return user
    user.email = f"erased-{user.pk.hex}@{ERASED_DOMAIN}"
    user.first_name = user.last_name = ""
    user.set_unusable_password()
    user.approval_pin = ""
    user.erased_at = timezone.now()
    # A new password hash: every token still out fails its password check at once.
    user.save(
        update_fields=[
            "email",
            "first_name",
            "last_name",
            "password",
            "approval_pin",
            "erased_at",
            "updated_at",
        ]
    )
    if user.tenant_id is not None:
        with tenant_scope(user.tenant_id):
            DeviceAssignment.objects.filter(tenant_id=user.tenant_id, user=user).delete()
    audit.record(
        action="user_erased",
        tenant_id=user.tenant_id,
        actor=actor,
        target=user,
        object_repr=user.role,
        changes={name: [audit.PERSONAL, audit.PERSONAL] for name in ("email", "first_name", "last_name")},
    )
    return user


def user_data_export(*, actor: User, user: User) -> dict[str, Any]:
    """Everything cliqserve holds about a member of staff as a person (a subject access
    request): the profile, the tills assigned to them, and their part of the audit trail — what
    they did and what was done to their account, with the addresses and browsers it recorded.
    The export itself is audited."""
    require_data_controller(actor=actor, user=user)
    data = {
        "exported_at": timezone.now(),
        "profile": {name: getattr(user, name) for name in PROFILE_FIELDS},
        "devices": selectors.devices_assigned_to(user=user),
        "activity": selectors.audit_events_of(user=user),
    }
    audit.record(
        action="data_exported",
        tenant_id=user.tenant_id,
        actor=actor,
        target=user,
        object_repr=user.role,
        changes={"report": [None, "staff_personal_data"]},
    )
    return data


# --- Manager approvals ----------------------------------------------------------------------------

APPROVAL_SECONDS = 120
APPROVERS = (Role.TENANT_ADMIN, Role.BRANCH_MANAGER)


@dataclass(frozen=True)
class GrantedApproval:
    approval: Approval
    token: str


@transaction.atomic
def approval_grant(*, tenant: Tenant, requester: User, approver: User, action: str) -> GrantedApproval:
    """`approver` (whose credentials the caller checked) consents to `action` once, for the
    next APPROVAL_SECONDS, on `requester`'s till: the tenant admin, or the manager of the
    requester's branch, and never the requester itself."""
    manages = approver.role == Role.TENANT_ADMIN or (
        approver.role == Role.BRANCH_MANAGER and approver.branch_id == requester.branch_id
    )
    if approver.tenant_id != tenant.pk or approver.pk == requester.pk or not manages:
        raise NotPermitted(_("Only the tenant admin or this branch's manager can approve."), pointer="/email")
    token = secrets.token_urlsafe(32)
    approval = Approval.objects.create(
        tenant=tenant,
        approver=approver,
        requested_by=requester,
        action=action,
        token_hash=secret_digest(token),
        expires_at=timezone.now() + timedelta(seconds=APPROVAL_SECONDS),
    )
    audit.record(
        action="approval_granted",
        tenant_id=tenant.pk,
        actor=approver,
        target=approval,
        object_repr=action,
        changes={"action": [None, action], "requested_by": [None, requester.pk]},
    )
    return GrantedApproval(approval=approval, token=token)


def approval_use(*, tenant: Tenant, requester: User, token: str, action: str, pointer: str) -> uuid.UUID:
    """Spend an approval for `action` inside the caller's transaction (a refused request rolls
    the spending back); its approver's id. One UPDATE decides, so two requests racing with the
    same token cannot both win."""
    now, digest = timezone.now(), secret_digest(token)
    spent = Approval.objects.filter(
        tenant=tenant,
        token_hash=digest,
        requested_by=requester,
        action=action,
        used_at__isnull=True,
        expires_at__gt=now,
    )
    if spent.update(used_at=now) != 1:
        raise NotPermitted(
            _("This approval is unknown, used, expired or for something else."), pointer=pointer
        )
    return (
        Approval.objects.filter(tenant=tenant, token_hash=digest).values_list("approver_id", flat=True).get()
    )


# A PIN is short, so the lockout guards it (auth.check_pin); the ones tried first are refused.
PIN_DIGITS = re.compile(r"^[0-9]{4,8}$")


def _guessable(pin: str) -> bool:
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    return steps in ({0}, {1}, {-1})  # 0000, 1234, 9876


@transaction.atomic
def approval_pin_set(*, user: User, password: str, pin: str) -> None:
    """An approver (APPROVERS) sets or changes its approval PIN, proving it with its password
    (the route is throttled like sign-in)."""
    if user.role not in APPROVERS:
        raise NotPermitted(_("Only a tenant admin or a branch manager approves, so only they have a PIN."))
    if not user.check_password(password):
        raise InvalidInput(_("The password is not right."), pointer="/password")
    if not PIN_DIGITS.match(pin) or _guessable(pin):
        raise InvalidInput(
            _("A PIN is 4 to 8 digits, neither all the same nor a straight run like 1234."), pointer="/pin"
        )
    had_pin = bool(user.approval_pin)
    user.approval_pin = make_password(pin)
    user.save(update_fields=["approval_pin", "updated_at"])
    audit.record(
        action="approval_pin_changed" if had_pin else "approval_pin_set",
        tenant_id=user.tenant_id,
        actor=user,
        target=user,
        object_repr=user.role,
    )


@transaction.atomic
def approval_pin_remove(*, user: User) -> None:
    """The approver's PIN stops working; its password still approves."""
    if not user.approval_pin:
        return
    user.approval_pin = ""
    user.save(update_fields=["approval_pin", "updated_at"])
    audit.record(
        action="approval_pin_removed",
        tenant_id=user.tenant_id,
        actor=user,
        target=user,
        object_repr=user.role,
    )


PREFERENCE_FIELDS = frozenset({"language", "timezone"})


def user_set_preferences(*, user: User, **fields: str) -> User:
    """A person's own `language` and `timezone` (blank: no preference). Validated before
    anything is saved, so a bad value changes nothing."""
    refuse_unknown_fields(fields, allowed=PREFERENCE_FIELDS)
    for name, value in fields.items():
        setattr(user, name, value)
    validate_model(user, exclude=[f.name for f in User._meta.concrete_fields if f.name not in fields])
    user.save(update_fields=[*fields, "updated_at"])
    return user
