from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from cliqserve.core.api.viewsets import ServiceModelViewSet
from cliqserve.core.roles import ALL_ROLES, TENANT_ROLES, Role

from .. import selectors, services
from ..models import Branch, Device, Tenant
from .serializers import BranchSerializer, DeviceSerializer, TenantSerializer

PLATFORM = {Role.PLATFORM_OWNER}
ADMINS = {Role.TENANT_ADMIN}
MANAGERS = {Role.TENANT_ADMIN, Role.BRANCH_MANAGER}


class TenantFilter(filters.FilterSet):
    class Meta:
        model = Tenant
        fields: ClassVar = ["is_active", "slug"]


class BranchFilter(filters.FilterSet):
    class Meta:
        model = Branch
        fields: ClassVar = ["is_active"]


class DeviceFilter(filters.FilterSet):
    # A plain id filter: the list is already confined to the caller's scope, so another
    # tenant's branch id simply matches nothing.
    branch = filters.UUIDFilter(field_name="branch_id")

    class Meta:
        model = Device
        fields: ClassVar = ["is_active"]


class TenantViewSet(ServiceModelViewSet):
    """Businesses. The platform owner manages them; everyone else reads their own."""

    model = Tenant
    serializer_class = TenantSerializer
    filterset_class = TenantFilter
    policy: ClassVar = {
        "list": ALL_ROLES,
        "retrieve": ALL_ROLES,
        "create": PLATFORM,
        # A tenant admin changes its own tenant's settings; the service refuses other fields.
        "update": PLATFORM | {Role.TENANT_ADMIN},
        "partial_update": PLATFORM | {Role.TENANT_ADMIN},
        "destroy": PLATFORM,
    }

    def select(self) -> QuerySet[Tenant]:
        return selectors.tenant_list(actor=self.actor)

    def create_object(self, data: dict[str, Any]) -> Tenant:
        return services.tenant_create(actor=self.actor, **data)

    def update_object(self, instance: Tenant, data: dict[str, Any]) -> Tenant:
        return services.tenant_update(actor=self.actor, tenant=instance, **data)

    def deactivate_object(self, instance: Tenant) -> None:
        services.tenant_deactivate(actor=self.actor, tenant=instance)


class BranchViewSet(ServiceModelViewSet):
    """Shops of the caller's business. Admins write; branch staff read their own branch."""

    model = Branch
    serializer_class = BranchSerializer
    filterset_class = BranchFilter
    policy: ClassVar = {
        "list": TENANT_ROLES,
        "retrieve": TENANT_ROLES,
        "create": ADMINS,
        "update": ADMINS,
        "partial_update": ADMINS,
        "destroy": ADMINS,
    }

    def select(self) -> QuerySet[Branch]:
        return selectors.branch_list(tenant=self.tenant, actor=self.actor)

    def create_object(self, data: dict[str, Any]) -> Branch:
        return services.branch_create(tenant=self.tenant, actor=self.actor, **data)

    def update_object(self, instance: Branch, data: dict[str, Any]) -> Branch:
        return services.branch_update(tenant=self.tenant, actor=self.actor, branch=instance, **data)

    def deactivate_object(self, instance: Branch) -> None:
        services.branch_deactivate(tenant=self.tenant, actor=self.actor, branch=instance)


class DeviceViewSet(ServiceModelViewSet):
    """POS devices. Admins manage all; managers those of their branch; cashiers read theirs."""

    model = Device
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilter
    policy: ClassVar = {
        "list": TENANT_ROLES,
        "retrieve": TENANT_ROLES,
        "create": MANAGERS,
        "update": MANAGERS,
        "partial_update": MANAGERS,
        "destroy": MANAGERS,
    }

    def select(self) -> QuerySet[Device]:
        return selectors.device_list(tenant=self.tenant, actor=self.actor)

    def create_object(self, data: dict[str, Any]) -> Device:
        return services.device_create(tenant=self.tenant, actor=self.actor, **data)

    def update_object(self, instance: Device, data: dict[str, Any]) -> Device:
        return services.device_update(tenant=self.tenant, actor=self.actor, device=instance, **data)

    def deactivate_object(self, instance: Device) -> None:
        services.device_deactivate(tenant=self.tenant, actor=self.actor, device=instance)
