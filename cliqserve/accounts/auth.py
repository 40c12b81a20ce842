"""Signing in and out: credentials, lockout, device binding, token issue, rotation, reuse.

Every refusal of credentials looks the same to the caller (unknown email, wrong password,
inactive user or tenant), so the API cannot be used to find out who has an account.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from cliqserve.core import audit
from cliqserve.core.cache import counters
from cliqserve.core.errors import InvalidInput, RateLimited, Unauthenticated
from cliqserve.core.roles import Role
from cliqserve.core.security import security_event
from cliqserve.core.tenancy import tenant_scope
from cliqserve.tenants.models import Device

from . import mfa
from .models import User
from .tokens import RefreshToken, signing_backend

BAD_CREDENTIALS = "Email or password is incorrect."
BAD_REFRESH = "The refresh token is invalid, expired or already used."


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


# --- Lockout ----------------------------------------------------------------------------------
# Failures are counted per account and client, and per account from every client. A client over
# its threshold waits, before its next try at that account, a delay that doubles with each
# lock; an account over its (larger) threshold makes every client it does not know wait. A client
# that has signed in to the account before (its till, its browser) is held to its own failures
# only: nobody can lock the owner out of the till or browser they use (docs/adr/0010).


@dataclass(frozen=True)
class LoginClient:
    """Who is signing in, as far as the lockout can tell: the address the throttles see, and the
    till (the login's `device`) or the browser (the id in its signed cookie) it says it is."""

    ip: str | None
    device_id: uuid.UUID | str | None = None
    browser_id: str | None = None

    def names(self) -> list[str]:
        """The names a successful sign-in remembers this client by."""
        return [
            *([f"device:{self.device_id}"] if self.device_id else []),
            *([f"browser:{self.browser_id}"] if self.browser_id else []),
        ]


@dataclass(frozen=True)
class _Scope:
    """One set of failure counters: an account's from one client, or from all clients."""

    account: str
    client: str | None
    threshold: int

    @property
    def key(self) -> str:
        return f"{self.account}:{self.client}" if self.client else self.account


def _account_digest(email: str) -> str:
    # Hash the email: cache keys end up in Redis dumps and monitoring, emails should not.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _known_name(account: str, client: LoginClient) -> str | None:
    """The name under which this client has signed in to this account before, if any."""
    return next((name for name in client.names() if counters().get(f"login-known:{account}:{name}")), None)


def _own_scope(account: str, client: LoginClient) -> tuple[_Scope, bool]:
    """The client's own counters, and whether it is known: a known client is counted under the
    name it signed in by, from whatever address (a stolen till cannot spread its guesses), an
    unknown one under its address."""
    known = _known_name(account, client)
    name = known or f"ip:{client.ip}"
    return _Scope(account=account, client=name, threshold=settings.LOGIN_LOCKOUT_THRESHOLD), bool(known)


def _account_scope(account: str) -> _Scope:
    return _Scope(account=account, client=None, threshold=settings.LOGIN_ACCOUNT_LOCKOUT_THRESHOLD)


def _seconds_delayed(scope: _Scope) -> int:
    delayed_until = counters().get(f"login-locked:{scope.key}")
    return max(0, int(delayed_until - time.time())) if delayed_until else 0


def _count(key: str, *, timeout: int) -> int:
    """Add one to the counter at `key`, which starts at 0 and lasts `timeout` seconds."""
    counters().add(key, 0, timeout=timeout)
    try:
        return int(counters().incr(key))
    except ValueError:  # expired between add and incr
        counters().set(key, 1, timeout=timeout)
        return 1


def _record_failure(scope: _Scope) -> None:
    failures_key = f"login-failures:{scope.key}"
    if _count(failures_key, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS) < scope.threshold:
        return
    counters().delete(failures_key)
    # Each delay doubles the one before, up to LOGIN_LOCKOUT_SECONDS, while that one is
    # remembered: until a failure window has passed after it ended.
    strikes = int(counters().get(f"login-strikes:{scope.key}") or 0) + 1
    delay = min(settings.LOGIN_LOCKOUT_FIRST_SECONDS * 2 ** (strikes - 1), settings.LOGIN_LOCKOUT_SECONDS)
    counters().set(
        f"login-strikes:{scope.key}", strikes, timeout=delay + settings.LOGIN_FAILURE_WINDOW_SECONDS
    )
    counters().set(f"login-locked:{scope.key}", time.time() + delay, timeout=delay)
    # Not the client's name: a browser's id is what makes it known.
    scope_name = "client" if scope.client else "account"
    security_event("login_locked_out", account=scope.account, scope=scope_name, seconds=delay)


def _clear_failures(scope: _Scope) -> None:
    counters().delete_many([f"login-failures:{scope.key}", f"login-strikes:{scope.key}"])


def remember_client(*, email: str, client: LoginClient) -> None:
    """A sign-in went through from this client: it is known to this account from now on, for
    LOGIN_KNOWN_CLIENT_DAYS after its last sign-in."""
    account = _account_digest(email)
    timeout = settings.LOGIN_KNOWN_CLIENT_DAYS * 24 * 60 * 60
    counters().set_many({f"login-known:{account}:{name}": True for name in client.names()}, timeout=timeout)


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


def _seconds_to_wait(*, account: str, client: LoginClient) -> int:
    """How long this client must wait before trying this account: its own delay, and for a
    client the account does not know, the account's too. Never a word on whether the account
    exists: an unknown email has the same counters and is known to no client."""
    own, known = _own_scope(account, client)
    held_to = [own] if known else [own, _account_scope(account)]
    return max(_seconds_delayed(scope) for scope in held_to)


def check_credentials(*, email: str, password: str, client: LoginClient) -> User:
    """The user these credentials belong to, under the lockout: RateLimited while this client
    must wait (the password unchecked), Unauthenticated (one message for every cause)
    otherwise. The API's login, the back office's and the Django admin's sign in through here."""
    # authenticate() hashes the password even for an unknown email, so timing reveals nothing.
    return _under_lockout(
        email=email, client=client, check=lambda: authenticate(request=None, email=email, password=password)
    )


def check_pin(*, email: str, pin: str, client: LoginClient) -> User:
    """A manager approving at the till with an approval PIN instead of the password: the same
    lockout, the same single refusal, the same failure counts (a PIN is short, so the lockout
    is what keeps it from being guessed)."""
    return _under_lockout(email=email, client=client, check=lambda: _pin_holder(email=email, pin=pin))


def _pin_holder(*, email: str, pin: str) -> User | None:
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None or not user.approval_pin:
        make_password(pin)  # the work of a check, so that timing does not tell who has a PIN
        return None
    return user if check_password(pin, user.approval_pin) else None


def _under_lockout(*, email: str, client: LoginClient, check: Callable[[], Any]) -> User:
    account = _account_digest(email)
    wait = _seconds_to_wait(account=account, client=client)
    if wait:
        security_event("login_failed", reason="locked_out", client_ip=client.ip)
        _audit_failure(email, reason="locked_out")
        raise RateLimited(_("Too many failed sign-ins. Try again later."), retry_after=wait)

    user = check()
    if not isinstance(user, User) or not _can_sign_in(user):
        # Known or not, a client's failures count against it and against the account.
        _record_failure(_own_scope(account, client)[0])
        _record_failure(_account_scope(account))
        security_event("login_failed", reason="bad_credentials", client_ip=client.ip)
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


def credentials_accepted(
    *, user: User, email: str, client: LoginClient, device: Device | None = None, via: str = "api"
) -> None:
    """A sign-in went through: the client's own failure count and delays start again (not the
    account's: those hold off the clients it does not know), last_login is stamped and the
    audit trail has it (`via`: the API, the back office or the Django admin)."""
    _clear_failures(_own_scope(_account_digest(email), client)[0])
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
) -> tuple[User, TokenPair | mfa.Challenge]:
    """Tokens for the right password, or, for a user who needs a second factor, the challenge
    to answer at /auth/mfa/verify/ (then `finish_login`)."""
    # A till is known by its device id: tills keep no cookies.
    client = LoginClient(ip=client_ip, device_id=device_id)
    user = check_credentials(email=email, password=password, client=client)
    device = _check_device(user=user, device_id=device_id)
    challenge = mfa.challenge_for(user, device_id=device_id)
    if challenge is not None:
        audit.record(
            action="login_mfa_challenged",
            tenant_id=user.tenant_id,
            actor=user,
            target=user,
            object_repr=user.role,
        )
        return user, challenge
    return user, finish_login(user=user, client=client, device=device)


def mfa_verify(
    *, mfa_token: str, code: str | None, recovery_code: str | None, client_ip: str | None
) -> tuple[User, TokenPair]:
    """The second step of a sign-in: the mfa_token from login and a TOTP or recovery code."""
    pending = mfa.read_token(mfa_token, purpose=mfa.VERIFY)
    user = User.objects.select_related("tenant").filter(pk=pending.user_id).first() if pending else None
    if pending is None or user is None or not _can_sign_in(user):
        raise Unauthenticated(_STALE_SIGN_IN)
    if not mfa.passes_second_factor(user, code=code, recovery_code=recovery_code):
        security_event("login_failed", reason="bad_second_factor", client_ip=client_ip)
        _audit_failure(user.email, reason="bad_second_factor")
        raise Unauthenticated(_("The code is not right, or was used already."))
    device = _check_device(user=user, device_id=pending.device_id)
    return user, finish_login(
        user=user, client=LoginClient(ip=client_ip, device_id=pending.device_id), device=device
    )


_STALE_SIGN_IN = "This sign-in has expired or is not valid: sign in again."


def finish_login(*, user: User, client: LoginClient, device: Device | None) -> TokenPair:
    """The sign-in went through (password, and the second factor where one is needed)."""
    email = user.email
    client_ip = client.ip
    credentials_accepted(user=user, email=email, client=client, device=device)
    remember_client(email=email, client=client)
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
    return issue_tokens(user=user, device=device)


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
        raise Unauthenticated(_("This device is no longer yours to use. Sign in again.")) from None
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
