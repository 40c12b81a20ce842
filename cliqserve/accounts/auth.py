"""Signing in and out: credentials, lockout, device binding, token issue, rotation, reuse.

Every refusal of credentials looks the same to the caller (unknown email, wrong password,
inactive user or tenant), so the API cannot be used to find out who has an account.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from cliqserve.core import audit
from cliqserve.core.errors import InvalidInput, RateLimited, Unauthenticated
from cliqserve.core.roles import Role
from cliqserve.core.security import security_event
from cliqserve.core.tenancy import tenant_scope
from cliqserve.tenants.models import Device

from .models import User
from .tokens import RefreshToken, signing_backend

BAD_CREDENTIALS = "Email or password is incorrect."
BAD_REFRESH = "The refresh token is invalid, expired or already used."


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


# --- Lockout ----------------------------------------------------------------------------------


def _account_key(email: str, kind: str) -> str:
    # Hash the email: cache keys end up in Redis dumps and monitoring, emails should not.
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"login-{kind}:{digest}"


def _seconds_locked(email: str) -> int:
    locked_until = cache.get(_account_key(email, "locked"))
    return max(0, int(locked_until - time.time())) if locked_until else 0


def _record_failure(email: str) -> None:
    failures_key = _account_key(email, "failures")
    cache.add(failures_key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # expired between add and incr
        cache.set(failures_key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        failures = 1
    if failures >= settings.LOGIN_LOCKOUT_THRESHOLD:
        lockout = settings.LOGIN_LOCKOUT_SECONDS
        cache.set(_account_key(email, "locked"), time.time() + lockout, timeout=lockout)
        cache.delete(failures_key)
        security_event("login_locked_out", account=_account_key(email, "id"), seconds=lockout)


def _clear_failures(email: str) -> None:
    cache.delete(_account_key(email, "failures"))


# --- Tokens -------------------------------------------------------------------------------------


def issue_tokens(*, user: User, device: Device | None) -> TokenPair:
    """A new refresh token (recorded as outstanding) and its access token, with our claims."""
    refresh = RefreshToken.for_user(user)
    refresh["role"] = user.role
    refresh["tenant"] = str(user.tenant_id) if user.tenant_id else None
    refresh["branch"] = str(user.branch_id) if user.branch_id else None
    refresh["device"] = str(device.pk) if device else None
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _check_device(*, user: User, device_id: uuid.UUID | str | None) -> Device | None:
    """The device must be an active device of the user's tenant that the user may use."""
    if device_id is None:
        return None
    refusal = InvalidInput("Unknown device, or not one you may use.", pointer="/device")
    if user.tenant_id is None:
        raise refusal
    with tenant_scope(user.tenant_id):
        device = Device.objects.filter(pk=device_id, is_active=True).first()
        if device is None:
            raise refusal
        if user.role == Role.BRANCH_MANAGER and device.branch_id != user.branch_id:
            raise refusal
        if user.role == Role.CASHIER and not device.assignments.filter(user=user).exists():
            raise refusal
    return device


def _can_sign_in(user: User | None) -> bool:
    return user is not None and user.is_active and (user.tenant is None or user.tenant.is_active)


def check_credentials(*, email: str, password: str, client_ip: str | None) -> User:
    """The user these credentials belong to, under the account lockout: RateLimited while the
    email is locked out, Unauthenticated (one message for every cause) otherwise. The API's
    login and the back office's session login both sign in through here."""
    locked_for = _seconds_locked(email)
    if locked_for:
        security_event("login_failed", reason="locked_out", client_ip=client_ip)
        _audit_failure(email, reason="locked_out")
        raise RateLimited("Too many failed sign-ins. Try again later.", retry_after=locked_for)

    # authenticate() hashes the password even for an unknown email, so timing reveals nothing.
    user = authenticate(request=None, email=email, password=password)
    if not isinstance(user, User) or not _can_sign_in(user):
        _record_failure(email)
        security_event("login_failed", reason="bad_credentials", client_ip=client_ip)
        _audit_failure(email, reason="bad_credentials")
        raise Unauthenticated(BAD_CREDENTIALS)
    return user


def _audit_failure(email: str, *, reason: str) -> None:
    """A refused sign-in, in the trail of the account's tenant when the account exists (by its
    id: the trail holds no e-mail addresses), else in the platform's. Never the password."""
    account = User.objects.filter(email=email.strip().lower()).only("pk", "tenant_id", "role").first()
    audit.record(
        action="login_failed",
        tenant_id=account.tenant_id if account else None,
        actor=None,
        target=account,
        object_repr=account.role if account else "",
        changes={"reason": [None, reason]},
    )


def credentials_accepted(*, user: User, email: str, device: Device | None = None, via: str = "api") -> None:
    """A sign-in went through: the failure count starts again, last_login is stamped and the
    audit trail has it (`via`: the API, the back office or the Django admin)."""
    _clear_failures(email)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    audit.record(
        action="login_succeeded",
        tenant_id=user.tenant_id,
        actor=user,
        target=user,
        object_repr=user.role,
        changes={"via": [None, via], **({"device": [None, device.pk]} if device else {})},
    )


def login(
    *, email: str, password: str, device_id: uuid.UUID | None, client_ip: str | None
) -> tuple[User, TokenPair]:
    user = check_credentials(email=email, password=password, client_ip=client_ip)
    device = _check_device(user=user, device_id=device_id)
    credentials_accepted(user=user, email=email, device=device)
    if device is not None:
        with tenant_scope(device.tenant_id):
            Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())
    security_event(
        "login_succeeded",
        user_id=user.pk,
        tenant_id=user.tenant_id,
        role=user.role,
        device_id=device.pk if device else None,
        client_ip=client_ip,
    )
    return user, issue_tokens(user=user, device=device)


def _revoke_all(user_id: Any) -> None:
    """Refresh-token reuse means a token was stolen: end every session of that user."""
    for outstanding in OutstandingToken.objects.filter(user_id=user_id, blacklistedtoken__isnull=True):
        BlacklistedToken.objects.get_or_create(token=outstanding)


def _parse_refresh(raw_refresh: str) -> RefreshToken:
    """Signature, expiry, type and blacklist checked; TokenError otherwise."""
    return RefreshToken(raw_refresh)  # type: ignore[arg-type]  # SimpleJWT's stub says Token


def _handle_reuse(*, jti: str, user_id: Any) -> None:
    """A spent refresh token came back. Within the grace period that is a client retrying a
    refresh whose answer it lost (or racing itself): refuse it, nothing more. Later, it is a
    replay by someone who copied the token: end every session of that user."""
    spent = BlacklistedToken.objects.filter(token__jti=jti).values_list("blacklisted_at", flat=True).first()
    if spent is None:
        return
    grace = timedelta(seconds=settings.REFRESH_REUSE_GRACE_SECONDS)
    if timezone.now() - spent <= grace:
        security_event("refresh_token_retried", user_id=user_id)
        return
    security_event("refresh_token_reused", user_id=user_id)
    _revoke_all(user_id)
    tenant_id = User.objects.filter(pk=user_id).values_list("tenant_id", flat=True).first()
    audit.record(
        action="refresh_token_reused",
        tenant_id=tenant_id,
        actor=None,
        object_type="user",
        object_id=user_id,
        changes={"sessions": ["active", "revoked"]},
    )


def _report_reuse(raw_refresh: str) -> None:
    try:
        payload = signing_backend().decode(raw_refresh, verify=True)  # type: ignore[arg-type]
    except (TokenError, TokenBackendError):
        return  # forged, malformed or expired: nothing was reused
    _handle_reuse(jti=payload.get("jti", ""), user_id=payload.get("user_id"))


def _user_for_refresh(token: RefreshToken) -> User:
    user = User.objects.select_related("tenant").filter(pk=token.get("user_id")).first()
    if user is None or not _can_sign_in(user):
        raise Unauthenticated(BAD_REFRESH)
    if token.get("hash_password") != get_md5_hash_password(user.password):
        raise Unauthenticated(BAD_REFRESH)
    return user


def refresh(*, raw_refresh: str) -> TokenPair:
    """Rotate: the presented refresh token is spent, a new pair is issued with fresh claims."""
    try:
        token = _parse_refresh(raw_refresh)
    except TokenError:
        _report_reuse(raw_refresh)
        raise Unauthenticated(BAD_REFRESH) from None

    user = _user_for_refresh(token)
    try:
        device = _check_device(user=user, device_id=token.get("device"))
    except InvalidInput:
        raise Unauthenticated("This device is no longer yours to use. Sign in again.") from None
    try:
        with transaction.atomic():
            outstanding = OutstandingToken.objects.get(jti=token["jti"])
            # The unique constraint, not a prior read, decides which of two racing refreshes wins.
            BlacklistedToken.objects.create(token=outstanding)
    except (IntegrityError, OutstandingToken.DoesNotExist):
        _handle_reuse(jti=token["jti"], user_id=user.pk)
        raise Unauthenticated(BAD_REFRESH) from None
    return issue_tokens(user=user, device=device)


def logout(*, raw_refresh: str, actor: User | None = None) -> None:
    try:
        token = _parse_refresh(raw_refresh)
    except TokenError:
        raise Unauthenticated(BAD_REFRESH) from None
    token.blacklist()
    security_event("logout", user_id=token.get("user_id"))
    audit.record(
        action="logout",
        tenant_id=token.get("tenant"),
        actor=audit.ActorRef(pk=token.get("user_id")),
        object_type="user",
        object_id=token.get("user_id"),
    )
