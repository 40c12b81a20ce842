"""Multi-factor authentication: TOTP with django-otp, recovery codes, and the sign-in challenge.

A user with a confirmed authenticator, or one whose role must have one (MFA_REQUIRED_ROLES; a
tenant may add its branch managers), does not get tokens for a right password: the login
answers a short-lived `mfa_token` instead, to be exchanged with a code at /auth/mfa/verify/ (or,
for a user who must enrol and has not, used as a bearer token on the two enrolment routes
only). Cashiers signing in on a till are never asked. django-otp keeps the TOTP devices (and
throttles wrong codes per device); recovery codes are its static tokens, stored hashed.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cliqserve.core import audit
from cliqserve.core.errors import Conflict, InvalidInput, NotPermitted
from cliqserve.core.roles import Role

from .models import User

SIGNING_NAMESPACE = "cliqserve.accounts.mfa"
TOKEN_SECONDS = 300
RECOVERY_CODE_COUNT = 10
VERIFY, ENROL = "verify", "enrol"


@dataclass(frozen=True)
class Challenge:
    """What a right password earns a user who needs a second factor."""

    mfa_token: str
    enrolment_required: bool


@dataclass(frozen=True)
class Pending:
    """A signed-in-by-password user waiting for their second factor, as the mfa_token says."""

    user_id: uuid.UUID
    device_id: str | None


def confirmed_totp(user: User) -> TOTPDevice | None:
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device


def pending_totp(user: User) -> TOTPDevice | None:
    """The authenticator being enrolled: started, not yet confirmed with a code."""
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device


def must_have_mfa(user: User) -> bool:
    """MFA_REQUIRED_ROLES (empty: nobody), and branch managers where their tenant says so."""
    if user.role in settings.MFA_REQUIRED_ROLES:
        return True
    tenant = user.tenant
    return user.role == Role.BRANCH_MANAGER and tenant is not None and tenant.mfa_required_for_managers


def must_enrol(user: User) -> bool:
    """Required to have a second factor and has none: such a user may only enrol."""
    return confirmed_totp(user) is None and must_have_mfa(user)


def challenge_for(user: User, *, device_id: uuid.UUID | str | None) -> Challenge | None:
    """None when the password is enough: a cashier on a till, or a user with no second factor
    who is not required to have one."""
    if user.role == Role.CASHIER and device_id is not None:
        return None
    if confirmed_totp(user) is not None:
        return Challenge(mfa_token=_token(user, VERIFY, device_id), enrolment_required=False)
    if must_have_mfa(user):
        return Challenge(mfa_token=_token(user, ENROL, device_id), enrolment_required=True)
    return None


def _token(user: User, purpose: str, device_id: uuid.UUID | str | None) -> str:
    payload = {"u": str(user.pk), "p": purpose, "d": str(device_id) if device_id else None}
    return signing.dumps(payload, salt=SIGNING_NAMESPACE)


def enrolment_sign_in(user: User) -> str:
    """A browser sign-in (the back office's) by a user who must enrol and has not: audited as
    the API's login audits its challenge; the answer is the `enrol` token its enrolment-only
    session keeps."""
    audit.record(
        action="login_mfa_challenged",
        tenant_id=user.tenant_id,
        actor=user,
        target=user,
        object_repr=user.role,
    )
    return _token(user, ENROL, None)


def read_token(token: str, *, purpose: str, max_age: int = TOKEN_SECONDS) -> Pending | None:
    """The pending sign-in an mfa_token stands for, if it is ours, for `purpose`, and fresh."""
    try:
        payload: dict[str, Any] = signing.loads(token, salt=SIGNING_NAMESPACE, max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if payload.get("p") != purpose:
        return None
    return Pending(user_id=uuid.UUID(payload["u"]), device_id=payload.get("d"))


def _hashed(code: str) -> str:
    # Recovery codes are 80 random bits: a fast hash is enough; 16 hex digits fit django-otp.
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()[:16]


def passes_second_factor(user: User, *, code: str | None, recovery_code: str | None) -> bool:
    """A current TOTP code, or an unused recovery code (spent by this check); django-otp
    throttles wrong ones per device."""
    if code:
        device = confirmed_totp(user)
        return device is not None and bool(device.verify_token(code))
    if recovery_code:
        recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
        return recovery is not None and bool(recovery.verify_token(_hashed(recovery_code)))
    return False


def passes_either(user: User, *, entered: str) -> bool:
    """One field that takes a current code or, failing that, an unused recovery code."""
    return bool(entered) and (
        passes_second_factor(user, code=entered, recovery_code=None)
        or passes_second_factor(user, code=None, recovery_code=entered)
    )


# --- Enrolment and removal ------------------------------------------------------------------------


@transaction.atomic
def totp_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator (any earlier unconfirmed one is dropped)."""
    if confirmed_totp(user) is not None:
        raise Conflict(_("Two-factor authentication is already on; remove it first to enrol again."))
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


# The code checks below run outside any transaction of ours: django-otp records a wrong code
# (its throttle, which doubles the wait after each failure) on the device, and that record must
# stay when the service then refuses; inside the refused transaction it would roll back and the
# guesses go unthrottled.


def totp_confirm(*, user: User, code: str) -> list[str]:
    """Confirm the pending authenticator with its first code; the answer is ten new recovery
    codes, shown this once."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise Conflict(_("Start enrolment first (POST /api/v1/auth/mfa/totp/)."))
    if not device.verify_token(code):
        raise InvalidInput(
            _("This code is not right; check the authenticator's clock and try again."), pointer="/code"
        )
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit.record(
            action="mfa_enrolled", tenant_id=user.tenant_id, actor=user, target=user, object_repr=user.role
        )
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=_hashed(code)) for code in codes])
    return codes


def totp_remove(*, user: User, password: str, code: str) -> None:
    """The user turns MFA off, proving it twice: the password and a current (or recovery) code.
    A role that must have MFA is refused before its code is looked at (a recovery code stays
    unspent): an admin resets a lost device instead."""
    if not user.check_password(password):
        raise InvalidInput(_("The password is not right."), pointer="/password")
    if confirmed_totp(user) is None:
        raise Conflict(_("Two-factor authentication is not on."))
    if must_have_mfa(user):
        raise NotPermitted(_("Your role must keep two-factor authentication on."))
    if not passes_either(user, entered=code):
        raise InvalidInput(_("This code is not right."), pointer="/code")
    with transaction.atomic():
        _remove_devices(user)
        audit.record(
            action="mfa_removed", tenant_id=user.tenant_id, actor=user, target=user, object_repr=user.role
        )


@transaction.atomic
def mfa_reset(*, actor: User, user: User) -> None:
    """An admin removes a user's lost authenticator; the user enrols again at next sign-in."""
    _remove_devices(user)
    audit.record(
        action="mfa_reset", tenant_id=user.tenant_id, actor=actor, target=user, object_repr=user.role
    )


def _remove_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _audit(*, action: str, actor: User, user: User) -> None:
    audit.record(action=action, tenant_id=user.tenant_id, actor=actor, target=user, object_repr=user.role)


def session_refusal(user: User, *, code: str | None) -> str | None:
    """Why a browser sign-in (back office, Django admin) with the right password must still be
    refused, or None: the second factor the API's login asks for, in the same form."""
    if confirmed_totp(user) is not None:
        if passes_either(user, entered=(code or "").strip()):
            return None
        audit.record(
            action="login_failed",
            tenant_id=user.tenant_id,
            actor=None,
            target=user,
            object_repr=user.role,
            changes={"reason": [None, "bad_second_factor"]},
        )
        return _("Enter the code from your authenticator app (or a recovery code).")
    if must_have_mfa(user):
        return _("Your role signs in with two-factor authentication: set it up in the cliqserve app first.")
    return None
