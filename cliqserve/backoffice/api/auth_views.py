"""Signing in to and out of the back office: a session over the accounts' own authentication.

The same lockout as the API's login (accounts.auth.check_credentials) and the same throttles
(per client address, and per account from any address), counted in the same buckets
(accounts.api.form_login): a guesser gains nothing by switching between the API and this form.
Only the report roles get a session. A report role that must have two-factor authentication
and has none gets an enrolment-only session instead (backoffice.services): the two-factor page
and nothing else, until it is set up.
"""

from __future__ import annotations

from django.contrib.auth import login as start_session
from django.contrib.auth import logout as end_session
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from cliqserve.accounts import auth, mfa
from cliqserve.accounts.api.form_login import browser_client, remember_browser, throttled_for, too_many
from cliqserve.core.errors import RateLimited, Unauthenticated

from ..services import begin_enrolment
from .base import may_enter, refused
from .forms import LoginForm


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
        wait = throttled_for(request)
        if wait is not None:
            return self._too_many(request, form, wait)
        if not form.is_valid():
            return self._form(request, form, status=400)
        email, password = form.cleaned_data["email"], form.cleaned_data["password"]
        client = browser_client(request)
        try:
            user = auth.check_credentials(email=email, password=password, client=client)
        except RateLimited as exc:
            return self._too_many(request, form, int(exc.headers["Retry-After"]))
        except Unauthenticated:
            return self._form(request, form, error=_("Email or password is incorrect."))
        if not may_enter(user):
            return refused(request)
        if mfa.must_enrol(user):
            # No session yet, only the enrolment page: confirming the authenticator signs in.
            begin_enrolment(request, user)
            return redirect("backoffice:mfa")
        second_factor = mfa.session_refusal(user, code=form.cleaned_data.get("code"))
        if second_factor is not None:
            return self._form(request, form, error=second_factor, status=400)
        auth.credentials_accepted(user=user, email=email, client=client, via="backoffice")
        start_session(request, user)  # a new session key and CSRF token: no fixation
        response = HttpResponseRedirect(_next_url(request))
        remember_browser(request, response, email=email)
        return response

    def _too_many(self, request: HttpRequest, form: LoginForm, wait: int) -> HttpResponse:
        response = self._form(request, form, error=too_many(wait), status=429)
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
