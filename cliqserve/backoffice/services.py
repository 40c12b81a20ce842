"""Enrolment-only sessions: a user whose role must have two-factor authentication and has none
signs in to the back office to set it up, and to nothing else.

The session holds no signed-in user (no `_auth_user_id`): only the `enrol` token of
accounts.mfa, under its own key. Every other page, the API and the admin see an anonymous
visitor, so such a session reaches nothing but the two-factor page by construction; back-office
pages send it there instead of to the sign-in form. Confirming the authenticator with its first
code completes the sign-in (password and a code, as anyone else's) and the session becomes an
ordinary one.
"""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass

import segno
from django.contrib.auth import login as start_session
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from cliqserve.accounts import auth, mfa
from cliqserve.accounts.api.form_login import browser_client, remember_browser
from cliqserve.accounts.models import User

SESSION_KEY = "backoffice_mfa_enrolment"
# Time to install an authenticator app and type a secret; the API's enrolment token keeps 5 minutes.
ENROLMENT_SECONDS = 15 * 60


def begin_enrolment(request: HttpRequest, user: User) -> None:
    """The right password from a user who must enrol first: an enrolment-only session."""
    token = mfa.enrolment_sign_in(user)
    # A new session key, as a sign-in gets: nobody who planted a session id gains this one.
    request.session.flush()
    rotate_token(request)
    request.session[SESSION_KEY] = token


def has_enrolment(request: HttpRequest) -> bool:
    """Cheap (no query): whether this session was started for enrolment only."""
    return SESSION_KEY in request.session


def enrolling_user(request: HttpRequest) -> User | None:
    """The user an enrolment-only session stands for, while it is fresh and they still may
    enrol; a stale or spent one is dropped."""
    token = request.session.get(SESSION_KEY)
    pending = (
        mfa.read_token(token, purpose=mfa.ENROL, max_age=ENROLMENT_SECONDS)
        if isinstance(token, str)
        else None
    )
    user = (
        User.objects.select_related("tenant").filter(pk=pending.user_id, is_active=True).first()
        if pending
        else None
    )
    if user is None or not mfa.must_enrol(user):
        request.session.pop(SESSION_KEY, None)
        return None
    return user


def complete_sign_in(request: HttpRequest, user: User) -> None:
    """Enrolment confirmed with a code: the sign-in the password started goes through, with
    the lockout's bookkeeping and audit as the sign-in form's. Before the page is rendered, so
    that its forms carry the new CSRF token; `remember_browser` once it is."""
    request.session.pop(SESSION_KEY, None)
    auth.credentials_accepted(user=user, email=user.email, client=browser_client(request), via="backoffice")
    start_session(request, user)  # a new session key and CSRF token


def remember_browser_of(request: HttpRequest, response: HttpResponse, user: User) -> None:
    """The browser that completed the sign-in is known to the lockout from now on."""
    remember_browser(request, response, email=user.email)


# --- What the two-factor page shows ----------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """A started enrolment, as the authenticator app takes it: the secret (typed by hand, in
    groups of four), its otpauth:// URI and that URI as a QR code."""

    secret_groups: str
    otpauth_uri: str
    qr_data_uri: str


@dataclass(frozen=True)
class TwoFactorState:
    on: bool
    required: bool
    enrolment: Enrolment | None


def two_factor_state(user: User) -> TwoFactorState:
    on = mfa.confirmed_totp(user) is not None
    device = None if on else mfa.pending_totp(user)
    return TwoFactorState(
        on=on, required=mfa.must_have_mfa(user), enrolment=_enrolment(device) if device else None
    )


def _enrolment(device: TOTPDevice) -> Enrolment:
    secret = b32encode(device.bin_key).decode().rstrip("=")
    uri: str = device.config_url
    # An <img> of a data: URI (the policy's img-src allows data:): an SVG drawn here, with no
    # markup of ours to mark safe and no script; the page shows the secret for typing as well.
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")
    return Enrolment(
        secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        otpauth_uri=uri,
        qr_data_uri=qr,
    )
