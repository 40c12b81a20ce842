"""Signing in through an HTML form (the back office, the Django admin) under the API's guards.

The same throttles as POST /api/v1/auth/login/ (per client address, and per account from any
address), counted in the same buckets, and the same lockout (accounts.auth.check_credentials):
a guesser gains nothing by switching between the API and a form. A browser that has signed in
carries a signed cookie with a random id: the lockout knows it by that id, as it knows a till
by its device id.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from cliqserve.core.errors import RateLimited, Unauthenticated

from .. import auth, mfa
from .throttles import LoginAccountThrottle, LoginThrottle


class FormLoginAccountThrottle(LoginAccountThrottle):
    """The API's per-account throttle, reading the email from a posted form's `field`."""

    def __init__(self, field: str = "email") -> None:
        super().__init__()
        self.field = field

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        email = request.POST.get(self.field)
        if not isinstance(email, str) or not email.strip():
            return None
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


def throttled_for(request: HttpRequest, *, email_field: str = "email") -> int | None:
    """Seconds to wait when a login throttle refuses this attempt, else None (counts it)."""
    throttles: list[SimpleRateThrottle] = [LoginThrottle(), FormLoginAccountThrottle(email_field)]
    for throttle in throttles:
        # DRF's throttles read only META (and, for the account, POST): a Django request will do.
        if not throttle.allow_request(cast("Request", request), cast("APIView", None)):
            return int(throttle.wait() or 1)
    return None


def client_ip(request: HttpRequest) -> str:
    """The client address as the throttles see it (the trusted proxy's, NUM_PROXIES)."""
    return LoginThrottle().get_ident(cast("Request", request))


KNOWN_BROWSER_COOKIE = "cliqserve_known_browser"
# Its own salt: no other signed value of ours can pass for this cookie.
_KNOWN_BROWSER_SALT = "cliqserve.accounts.known-browser"


def _known_for() -> timedelta:
    return timedelta(days=settings.LOGIN_KNOWN_CLIENT_DAYS)


def browser_client(request: HttpRequest) -> auth.LoginClient:
    """The signing-in browser as the lockout sees it: its address, and its id when it carries a
    cookie we signed (a forged, altered or expired one counts for nothing)."""
    browser_id = request.get_signed_cookie(
        KNOWN_BROWSER_COOKIE, default=None, salt=_KNOWN_BROWSER_SALT, max_age=_known_for()
    )
    return auth.LoginClient(ip=client_ip(request), browser_id=browser_id or None)


def remember_browser(request: HttpRequest, response: HttpResponse, *, email: str) -> None:
    """A sign-in went through in this browser: it is known to the account from now on. The
    cookie holds a random id, not the account: one cookie serves every account signed in here."""
    browser_id = browser_client(request).browser_id or secrets.token_urlsafe(24)
    auth.remember_client(email=email, client=auth.LoginClient(ip=None, browser_id=browser_id))
    response.set_signed_cookie(
        KNOWN_BROWSER_COOKIE,
        browser_id,
        salt=_KNOWN_BROWSER_SALT,
        max_age=int(_known_for().total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def too_many(wait: int) -> str:
    return _("Too many sign-in attempts. Try again in %(seconds)s seconds.") % {"seconds": wait}


class AdminLoginForm(AdminAuthenticationForm):
    """The Django admin's sign-in: Django's form (staff only, same messages) behind the
    throttles, the lockout and the second factor, instead of Django's unguarded `authenticate()`."""

    request: HttpRequest
    code = forms.CharField(
        label=gettext_lazy("Authenticator code"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is None or not password:
            return self.cleaned_data
        wait = throttled_for(self.request, email_field="username")
        if wait is not None:
            raise ValidationError(too_many(wait), code="throttled")
        client = browser_client(self.request)
        try:
            user = auth.check_credentials(email=email, password=password, client=client)
        except RateLimited as exc:
            raise ValidationError(too_many(int(exc.headers["Retry-After"])), code="throttled") from exc
        except Unauthenticated as exc:
            raise self.get_invalid_login_error() from exc
        self.confirm_login_allowed(user)  # staff only: Django's own message
        second_factor = mfa.session_refusal(user, code=self.cleaned_data.get("code"))
        if second_factor is not None:
            raise ValidationError(second_factor, code="second_factor")
        auth.credentials_accepted(user=user, email=email, client=client, via="admin")
        self.user_cache = user
        return self.cleaned_data
