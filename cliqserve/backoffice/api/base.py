"""What every back-office page shares: the session, the role gate and the tenant scope.

A page is open to the report roles only (tenant admins and branch managers, as the reports
API). Anyone else signed in — a cashier, the platform owner — gets a refusal page that shows
nothing of the tenant. While a page runs, the caller's tenant scope is active exactly as in an
API view, and a domain refusal (another branch, a bad filter) becomes an error page with the
domain's status code, never a 500.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import View

from cliqserve.core.api.views import CallerMixin
from cliqserve.core.context import user_id_var
from cliqserve.core.errors import DomainError
from cliqserve.core.tenancy import tenant_scope
from cliqserve.reports.policies import REPORT_ROLES

from .. import services
from ..selectors import BranchNotFound, Scope, page_scope

if TYPE_CHECKING:
    pass


def may_enter(user: Any) -> bool:
    """A signed-in report role whose tenant is active."""
    return bool(
        user.is_authenticated
        and user.role in REPORT_ROLES
        and user.tenant_id is not None
        and user.tenant.is_active
    )


def refused(request: HttpRequest, *, status: int = 403, detail: str | None = None) -> HttpResponse:
    """The refusal page: a message and a way out, nothing of the tenant's data."""
    context = {"detail": detail or _("The back office is for tenant admins and branch managers.")}
    return render(request, "backoffice/refused.html", context, status=status)


class Page(CallerMixin, View):
    """A back-office page (`actor` and `tenant` as API views have them). Subclasses implement
    get() (and post() where they take a form)."""

    http_method_names = ["get"]
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = self._gated(request, *args, **kwargs)
        # Figures of a business (or a refusal): never kept by a browser or a proxy.
        add_never_cache_headers(response)
        return response

    def person(self, request: HttpRequest) -> Any | None:
        """Whom the page serves: the signed-in user, None for nobody."""
        return request.user if request.user.is_authenticated else None

    def _gated(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = self.person(request)
        if user is None:
            if services.has_enrolment(request):
                # Signed in to enrol only: that page, until the authenticator is confirmed.
                return redirect("backoffice:mfa")
            return redirect_to_login(request.get_full_path(), login_url=reverse("backoffice:login"))
        if not may_enter(user):
            return refused(request)
        # The access-log line is written after the scope is left: leave it a note, as the API does.
        request.__dict__["log_tenant_id"] = str(user.tenant_id)
        token = user_id_var.set(str(user.pk))
        try:
            with tenant_scope(cast("uuid.UUID", user.tenant_id)):
                return super().dispatch(request, *args, **kwargs)
        except DomainError as exc:
            return refused(request, status=exc.status_code, detail=exc.detail)
        finally:
            user_id_var.reset(token)

    def scope(self) -> Scope:
        """The branches this request covers (`?branch=`), checked against the actor's own."""
        return page_scope(tenant=self.tenant, actor=self.actor, branch_id=self.branch_param())

    def branch_param(self) -> uuid.UUID | None:
        raw = self.request.GET.get("branch", "").strip()
        if not raw:
            return None
        try:
            return uuid.UUID(raw)
        except ValueError:
            # Not a branch of anyone: refused like another tenant's branch.
            raise BranchNotFound(_("There is no such branch.")) from None
