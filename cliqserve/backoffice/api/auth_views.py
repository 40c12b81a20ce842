"""Signing in to and out of the back office: a session over the accounts' own authentication.

The same lockout as the API's login (accounts.auth.check_credentials) and the same throttles
(per client address, and per account from any address), counted in the same buckets: a guesser
gains nothing by switching between the API and this form. Only the report roles get a session.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

from django.contrib.auth import login as start_session
from django.contrib.auth import logout as end_session
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from cliqserve.accounts import auth
from cliqserve.accounts.api.throttles import LoginAccountThrottle, LoginThrottle
from cliqserve.core.errors import RateLimited, Unauthenticated

from .base import may_enter, refused
from .forms import LoginForm


class FormLoginAccountThrottle(LoginAccountThrottle):
    """The API's per-account throttle, reading the email from a posted form."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        email = request.POST.get("email")
        if not isinstance(email, str) or not email.strip():
            return None
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _throttled_for(request: HttpRequest, view: View) -> int | None:
    """Seconds to wait when a login throttle refuses this attempt, else None."""
    throttles: list[SimpleRateThrottle] = [LoginThrottle(), FormLoginAccountThrottle()]
    for throttle in throttles:
        # DRF's throttles read only META (and, for the account, POST): a Django request will do.
        if not throttle.allow_request(cast("Request", request), cast("APIView", view)):
            return int(throttle.wait() or 1)
    return None


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("backoffice:dashboard")


class LoginView(View):
    http_method_names = ["get", "post"]
    template_name = "backoffice/login.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if may_enter(request.user):
            return redirect(_next_url(request))
        return self._form(request, LoginForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LoginForm(request.POST)
        wait = _throttled_for(request, self)
        if wait is not None:
            return self._too_many(request, form, wait)
        if not form.is_valid():
            return self._form(request, form, status=400)
        email, password = form.cleaned_data["email"], form.cleaned_data["password"]
        try:
            client_ip = LoginThrottle().get_ident(cast("Request", request))
            user = auth.check_credentials(email=email, password=password, client_ip=client_ip)
        except RateLimited as exc:
            return self._too_many(request, form, int(exc.headers["Retry-After"]))
        except Unauthenticated:
            return self._form(request, form, error=_("Email or password is incorrect."))
        if not may_enter(user):
            return refused(request)
        auth.credentials_accepted(user=user, email=email)
        start_session(request, user)  # a new session key and CSRF token: no fixation
        return HttpResponseRedirect(_next_url(request))

    def _too_many(self, request: HttpRequest, form: LoginForm, wait: int) -> HttpResponse:
        error = _("Too many sign-in attempts. Try again in %(seconds)s seconds.") % {"seconds": wait}
        response = self._form(request, form, error=error, status=429)
        response["Retry-After"] = str(wait)
        return response

    def _form(
        self, request: HttpRequest, form: LoginForm, *, error: str = "", status: int = 200
    ) -> HttpResponse:
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        context = {"form": form, "error": error, "next": next_url}
        return render(request, self.template_name, context, status=status)


class LogoutView(View):
    """POST only: a link or an image cannot sign anyone out."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        end_session(request)
        return HttpResponseRedirect(reverse("backoffice:login"))
