from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from cliqserve.core.api.serializers import StrictModelSerializer, StrictSerializer
from cliqserve.core.roles import Role
from cliqserve.tenants.models import Branch, Tenant

from ..models import LANGUAGE_CHOICES, Approval, User


class UserSummarySerializer(serializers.ModelSerializer[User]):
    """The signed-in user, as login and /auth/me/ return it."""

    # Declared: a read-only model field would be described without its blank ("no preference").
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        allow_blank=True,
        read_only=True,
        help_text="The user's language; blank: none (Accept-Language, then the tenant's default).",
    )

    class Meta:
        model = User
        fields: ClassVar = [
            "id",
            "email",
            "role",
            "tenant",
            "branch",
            "first_name",
            "last_name",
            "language",
            "timezone",
        ]
        read_only_fields = fields


class PreferencesSerializer(StrictModelSerializer):
    """PATCH /auth/me/: the caller's own preferences. Blank clears one: the language then
    follows Accept-Language and the tenant's default; the zone, the branch's."""

    class Meta:
        model = User
        fields: ClassVar = ["language", "timezone"]


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


class _StaffProfileSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    role = serializers.CharField()
    tenant_id = serializers.UUIDField(allow_null=True)
    branch_id = serializers.UUIDField(allow_null=True)
    is_active = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)
    erased_at = serializers.DateTimeField(allow_null=True)


class _AssignedDeviceSerializer(serializers.Serializer[Any]):
    device = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()


class _ActivitySerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    changes = serializers.DictField()
    ip = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()


class StaffDataSerializer(serializers.Serializer[Any]):
    """What cliqserve holds about a member of staff as a person."""

    exported_at = serializers.DateTimeField()
    profile = _StaffProfileSerializer()
    devices = _AssignedDeviceSerializer(many=True)
    activity = _ActivitySerializer(many=True, help_text="Their part of the audit trail, oldest first.")


class ApprovalRequestSerializer(StrictSerializer):
    email = serializers.EmailField(help_text="The approving manager's (or tenant admin's) e-mail.")
    password = serializers.CharField(
        required=False, style={"input_type": "password"}, trim_whitespace=False, max_length=256
    )
    pin = serializers.CharField(
        required=False,
        max_length=8,
        style={"input_type": "password"},
        help_text="Or the manager's approval PIN (POST /api/v1/auth/pin/).",
    )
    action = serializers.ChoiceField(
        choices=Approval.Action.choices,
        help_text="`discount` and `price_override`: a sale line beyond the cashier's limit; `refund`: a "
        "refund of the cashier's own sale; `void`: a void where the business asks for approval "
        "(tenant `cashier_voids_need_approval`).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("password")) == bool(attrs.get("pin")):
            raise serializers.ValidationError({"password": ["Give either `password` or `pin`."]})
        return attrs


class ApprovalSerializer(serializers.Serializer[Any]):
    approval = serializers.CharField(
        help_text="Send it once, within 2 minutes, with the request it approves: a sale line's, a "
        "refund's or a void's `approval`."
    )
    action = serializers.CharField()
    approver = serializers.UUIDField()
    expires_at = serializers.DateTimeField()


class ApprovalPinSerializer(StrictSerializer):
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, max_length=256)
    pin = serializers.CharField(
        max_length=8,
        style={"input_type": "password"},
        help_text="4 to 8 digits, neither all the same nor a straight run like 1234.",
    )


class MfaChallengeSerializer(serializers.Serializer[Any]):
    mfa_required = serializers.BooleanField(help_text="Always true: no tokens yet.")
    mfa_token = serializers.CharField(help_text="Answer it at /auth/mfa/verify/ within 5 minutes.")
    enrolment_required = serializers.BooleanField(
        required=False,
        help_text="True when the role must have a second factor and has none: use mfa_token as a bearer "
        "token on /auth/mfa/totp/ and /auth/mfa/totp/confirm/ only, then sign in again.",
    )


class MfaVerifySerializer(StrictSerializer):
    mfa_token = serializers.CharField()
    code = serializers.CharField(required=False, max_length=10, help_text="The authenticator's current code.")
    recovery_code = serializers.CharField(
        required=False, max_length=32, help_text="Or one unused recovery code."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("code")) == bool(attrs.get("recovery_code")):
            raise serializers.ValidationError({"code": ["Give either `code` or `recovery_code`."]})
        return attrs


class TotpStartSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField(help_text="Base32, for typing into an authenticator by hand.")
    otpauth_uri = serializers.CharField(help_text="otpauth:// URI, for a QR code.")


class CodeSerializer(StrictSerializer):
    code = serializers.CharField(max_length=10)


class RecoveryCodesSerializer(serializers.Serializer[Any]):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Ten single-use codes, shown this once: keep them safe."
    )


class TotpRemoveSerializer(StrictSerializer):
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    code = serializers.CharField(max_length=32, help_text="A current code or an unused recovery code.")
