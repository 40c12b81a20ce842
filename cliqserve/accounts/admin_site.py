"""The Django admin's site: Django's, signing in under the API's throttles and lockout
(accounts.api.form_login), and remembering the browser that signed in, as the back office does."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from .api.form_login import AdminLoginForm, remember_browser
from .models import User


class AdminSite(admin.AdminSite):
    login_form = AdminLoginForm
    # Django's form plus the second factor's field.
    login_template = "admin/cliqserve/login.html"

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().login(request, extra_context)
        # Django's login view answers a sign-in that went through, and only that, with a redirect.
        signed_in = request.method == "POST" and response.status_code == 302
        if signed_in and isinstance(request.user, User):
            remember_browser(request, response, email=request.user.email)
        return response
