from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cliqserve.core.api.serializers import StrictModelSerializer
from cliqserve.core.tenancy import current_tenant_id

from ..models import Branch, Device, Tenant

if TYPE_CHECKING:
    # Type only: accounts sits above tenants; at run time the user model comes from settings.
    from cliqserve.accounts.models import User  # noqa: F401  (named in a quoted type argument)


@extend_schema_field(
    {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", "example": "04:00"}
)
class WallClockTimeField(serializers.TimeField):
    """A local time of day without a zone ("04:00"): a branch's wall clock, not an instant, so
    not an RFC 3339 `time` (which needs an offset)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class TenantSerializer(StrictModelSerializer):
    business_day_ends_at = WallClockTimeField(
        required=False,
        help_text="Local time at which a business day ends (HH:MM, default 00:00): at 04:00 a sale at "
        "01:30 counts on the evening before. Each branch's own time zone applies.",
    )

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
            "mfa_required_for_managers",
            "cashier_max_discount_percent",
            "cashier_voids_need_approval",
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
