"""Base classes for every API view: tenant scope, declared role policy, strict input."""

from __future__ import annotations

from collections.abc import Collection
from contextvars import Token
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from cliqserve.core.context import tenant_id_var, user_id_var

from .permissions import RolePolicy

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant


class TenantScopedViewMixin:
    """Enters the caller's tenant scope once authenticated and leaves it in a `finally`.

    From here on, every query on a tenant-owned model is confined to the caller's tenant; a
    caller with no tenant (the platform owner) has no scope, so such queries raise.
    """

    _scope_tokens: list[tuple[Any, Token[str | None]]]

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)  # type: ignore[misc]
        user = request.user
        if user is None or not user.is_authenticated:
            return
        self._scope_tokens.append((user_id_var, user_id_var.set(str(user.pk))))
        if getattr(user, "tenant_id", None):
            self._scope_tokens.append((tenant_id_var, tenant_id_var.set(str(user.tenant_id))))
            # The access-log line is written after this view has left the scope: leave a note.
            request._request.log_tenant_id = str(user.tenant_id)  # type: ignore[attr-defined]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self._scope_tokens = []
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        finally:
            for var, token in reversed(self._scope_tokens):
                var.reset(token)


class CallerMixin:
    request: Any  # the DRF Request, set by APIView.dispatch

    @property
    def actor(self) -> User:
        """The authenticated caller; RolePolicy has already refused anyone else."""
        return cast("User", self.request.user)

    @property
    def tenant(self) -> Tenant:
        """The caller's tenant. Only reached by views whose policy excludes the platform owner."""
        return cast("Tenant", self.actor.tenant)


class PolicyAPIView(CallerMixin, TenantScopedViewMixin, APIView):
    """A plain API view with a `policy` keyed by lower-case HTTP method ("get", "post")."""

    permission_classes: ClassVar = [RolePolicy]  # type: ignore[misc]
    policy: ClassVar[dict[str, Collection[str]]] = {}


class PolicyViewSet(CallerMixin, TenantScopedViewMixin, viewsets.GenericViewSet[Any]):
    """A viewset whose `policy` maps each action to the roles allowed to call it.

    An action missing from the policy is denied to everyone: a new action is closed until
    someone decides who may use it. Scope (tenant, branch, own rows) is the selector's job;
    the policy says only which roles get in at all.
    """

    permission_classes: ClassVar = [RolePolicy]  # type: ignore[misc]
    policy: ClassVar[dict[str, Collection[str]]] = {}
