"""The two-factor authentication page: the signed-in user's own TOTP authenticator, enrolled,
confirmed and removed through accounts.mfa (which writes the audit events), as the API does.

A user who must enrol and has not reaches this page with an enrolment-only session
(backoffice.services): confirming the authenticator completes their sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cliqserve.accounts import mfa
from cliqserve.accounts.models import User
from cliqserve.core.errors import Conflict, DomainError, InvalidInput

from .. import services
from .base import Page, refused
from .forms import TotpConfirmForm, TotpRemoveForm

TEMPLATE = "backoffice/mfa.html"


class TwoFactorView(Page):
    http_method_names = ["get", "post"]
    me: User
    enrolment_only = False

    def person(self, request: HttpRequest) -> Any | None:
        user = super().person(request) or services.enrolling_user(request)
        if user is not None:
            self.me = user
            self.enrolment_only = not request.user.is_authenticated
        return user

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        handlers: dict[str, Callable[[HttpRequest], HttpResponse]] = {
            "start": self._start,
            "confirm": self._confirm,
            "remove": self._remove,
        }
        handler = handlers.get(request.POST.get("action", ""))
        if handler is None or (self.enrolment_only and handler == self._remove):
            return refused(request, status=400, detail=_("There is no such action."))
        return handler(request)

    def _start(self, request: HttpRequest) -> HttpResponse:
        try:
            mfa.totp_start(user=self.me)
        except Conflict as exc:  # already on (another tab, the app)
            messages.error(request, exc.detail)
        # The secret is shown by the page itself: a reload does not start again.
        return redirect("backoffice:mfa")

    def _confirm(self, request: HttpRequest) -> HttpResponse:
        form = TotpConfirmForm(request.POST)
        if not form.is_valid():
            return self._page(request, confirm_form=form, status=400)
        try:
            codes = mfa.totp_confirm(user=self.me, code=form.cleaned_data["code"])
        except InvalidInput as exc:
            form.add_error("code", exc.detail)
            return self._page(request, confirm_form=form, status=400)
        except Conflict:  # nothing pending: confirmed or restarted elsewhere
            messages.error(request, _("There is no set-up to confirm: start again."))
            return redirect("backoffice:mfa")
        enrolled = self.enrolment_only
        if enrolled:
            services.complete_sign_in(request, self.me)
            self.enrolment_only = False
        # Rendered by this POST, not after a redirect: the codes are kept nowhere to be shown again.
        response = self._page(request, recovery_codes=codes)
        if enrolled:
            services.remember_browser_of(request, response, self.me)
        return response

    def _remove(self, request: HttpRequest) -> HttpResponse:
        form = TotpRemoveForm(request.POST)
        if not form.is_valid():
            return self._page(request, remove_form=form, status=400)
        try:
            mfa.totp_remove(user=self.me, **form.cleaned_data)
        except DomainError as exc:  # wrong password or code, a role that must keep it, not on
            form.add_error(None, exc.detail)
            return self._page(request, remove_form=form, status=400)
        messages.success(request, _("Two-factor authentication is off."))
        return redirect("backoffice:mfa")

    def _page(self, request: HttpRequest, *, status: int = 200, **context: Any) -> HttpResponse:
        context = {
            "state": services.two_factor_state(self.me),
            "enrolment_only": self.enrolment_only,
            "confirm_form": TotpConfirmForm(),
            "remove_form": TotpRemoveForm(),
            **context,
        }
        return render(request, TEMPLATE, context, status=status)
