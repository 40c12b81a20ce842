from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from cliqserve.core.api.serializers import StrictModelSerializer, StrictSerializer
from cliqserve.core.roles import Role
from cliqserve.tenants.models import Branch, Tenant

from ..models import User


class UserSummarySerializer(serializers.ModelSerializer[User]):
    """The signed-in user, as login and /auth/me/ return it."""

    class Meta:
        model = User
        fields: ClassVar = ["id", "email", "role", "tenant", "branch", "first_name", "last_name"]
        read_only_fields = fields


class UserSerializer(StrictModelSerializer):
    """Users. `tenant` is writable by the platform owner only, `branch` by tenant staff only;
    `password` is write-only and needed on create."""

    password = serializers.CharField(write_only=True, style={"input_type": "password"}, trim_whitespace=False)
    tenant = serializers.PrimaryKeyRelatedField(queryset=Tenant.objects.all(), required=False)
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects, required=False, allow_null=True)

    class Meta:
        model = User
        fields: ClassVar = [
            "id",
            "email",
            "password",
            "role",
            "tenant",
            "branch",
            "first_name",
            "last_name",
            "is_active",
            "last_login",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar = ["id", "last_login", "created_at", "updated_at"]
        extra_kwargs: ClassVar[dict[str, dict[str, list[object]]]] = {"email": {"validators": []}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        actor = getattr(request, "user", None)
        if self.instance is not None:
            self.fields["password"].required = False
        if getattr(actor, "role", None) == Role.PLATFORM_OWNER:
            # Platform owners manage tenant admins, who have no branch.
            self.fields["branch"] = serializers.PrimaryKeyRelatedField(read_only=True)
        else:
            self.fields["tenant"] = serializers.PrimaryKeyRelatedField(read_only=True)


class LoginSerializer(StrictSerializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    device = serializers.UUIDField(required=False, allow_null=True)


class TokenPairSerializer(serializers.Serializer[Any]):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginResponseSerializer(TokenPairSerializer):
    user = UserSummarySerializer()


class RefreshSerializer(StrictSerializer):
    refresh = serializers.CharField(max_length=4096)
