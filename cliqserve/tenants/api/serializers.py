from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth import get_user_model
from rest_framework import serializers

from cliqserve.core.api.serializers import StrictModelSerializer
from cliqserve.core.tenancy import current_tenant_id

from ..models import Branch, Device, Tenant

if TYPE_CHECKING:
    # Type only: accounts sits above tenants; at run time the user model comes from settings.
    from cliqserve.accounts.models import User  # noqa: F401  (named in a quoted type argument)


class TenantSerializer(StrictModelSerializer):
    class Meta:
        model = Tenant
        fields: ClassVar = [
            "id",
            "name",
            "slug",
            "currency",
            "timezone",
            "default_language",
            "allow_negative_stock",
            "cashier_max_discount_percent",
            "business_day_ends_at",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar = ["id", "created_at", "updated_at"]
        # Uniqueness is decided by the database constraint in the service, not a prior SELECT.
        extra_kwargs: ClassVar[dict[str, dict[str, list[object]]]] = {"slug": {"validators": []}}


class BranchSerializer(StrictModelSerializer):
    class Meta:
        model = Branch
        fields: ClassVar = ["id", "name", "code", "timezone", "is_active", "created_at", "updated_at"]
        read_only_fields: ClassVar = ["id", "created_at", "updated_at"]


class TenantUserField(serializers.PrimaryKeyRelatedField["User"]):
    """A user id of the caller's own tenant; any other id is 'does not exist'."""

    def get_queryset(self) -> Any:
        tenant_id = current_tenant_id()
        users = get_user_model()._default_manager
        return users.filter(tenant__pk=tenant_id) if tenant_id else users.none()


class DeviceSerializer(StrictModelSerializer):
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects)
    assigned_users = TenantUserField(many=True, required=False)

    class Meta:
        model = Device
        fields: ClassVar = [
            "id",
            "branch",
            "name",
            "code",
            "is_active",
            "assigned_users",
            "last_seen_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar = ["id", "last_seen_at", "created_at", "updated_at"]
