from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar, cast

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cliqserve.core.api.permissions import PersonOnly
from cliqserve.core.api.serializers import ErrorSerializer
from cliqserve.core.api.viewsets import ServiceModelViewSet
from cliqserve.core.roles import Role

from .. import auth, mfa, selectors, services
from ..models import User
from .serializers import (
    LoginResponseSerializer,
    LoginSerializer,
    MfaChallengeSerializer,
    PreferencesSerializer,
    RefreshSerializer,
    StaffDataSerializer,
    TokenPairSerializer,
    UserSerializer,
    UserSummarySerializer,
)
from .throttles import LoginAccountThrottle, LoginThrottle


class UserFilter(filters.FilterSet):
    branch = filters.UUIDFilter(field_name="branch_id")
    email = filters.CharFilter(field_name="email", lookup_expr="icontains")

    class Meta:
        model = User
        fields: ClassVar = ["role", "is_active"]


USER_ADMINS = {Role.PLATFORM_OWNER, Role.TENANT_ADMIN, Role.BRANCH_MANAGER}


MOVE_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="`conflict`: the user has an open shift at another branch than the one it moves to "
    "(`meta.shift` names it); close it first.",
)


@extend_schema_view(
    update=extend_schema(responses={200: UserSerializer, 409: MOVE_REFUSED}),
    partial_update=extend_schema(responses={200: UserSerializer, 409: MOVE_REFUSED}),
)
class UserViewSet(ServiceModelViewSet):
    """Staff accounts. Each role manages only the roles below it, in its own scope."""

    model = User
    serializer_class = UserSerializer
    filterset_class = UserFilter
    policy: ClassVar[dict[str, Collection[str]]] = {
        **dict.fromkeys(
            (
                "list",
                "retrieve",
                "create",
                "update",
                "partial_update",
                "destroy",
                "export",
                "erase",
                "mfa_reset",
            ),
            USER_ADMINS,
        ),
    }

    def select(self) -> QuerySet[User]:
        return selectors.user_list(actor=self.actor)

    def create_object(self, data: dict[str, Any]) -> User:
        return services.user_create(actor=self.actor, **data)

    def update_object(self, instance: User, data: dict[str, Any]) -> User:
        return services.user_update(actor=self.actor, user=instance, **data)

    def deactivate_object(self, instance: User) -> None:
        services.user_deactivate(actor=self.actor, user=instance)

    @extend_schema(
        request=None,
        responses={200: StaffDataSerializer},
        summary="A staff member's personal data (a subject access request); audited.",
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> Response:
        data = services.user_data_export(actor=self.actor, user=self.get_object())
        return Response(StaffDataSerializer(data).data)

    @extend_schema(
        request=None,
        responses={
            200: UserSerializer,
            409: OpenApiResponse(ErrorSerializer, description="`conflict`: the user is still active."),
        },
        summary="Erase a former (deactivated) employee: pseudonymized everywhere; audited.",
    )
    @action(detail=True, methods=["post"])
    def erase(self, request: Request, pk: str | None = None) -> Response:
        user = services.user_erase(actor=self.actor, user=self.get_object())
        return Response(self.get_serializer(self.reloaded(user)).data)

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Remove a user's lost authenticator (the tenant admin; the platform owner for admins); "
        "audited. The user enrols again at the next sign-in.",
    )
    @action(detail=True, methods=["post"], url_path="mfa/reset", url_name="mfa-reset")
    def mfa_reset(self, request: Request, pk: str | None = None) -> Response:
        user = self.get_object()
        services.require_data_controller(actor=self.actor, user=user)
        mfa.mfa_reset(actor=self.actor, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _client_ip(request: Request) -> str | None:
    return LoginThrottle().get_ident(request)


def signed_in(user: User, tokens: auth.TokenPair) -> dict[str, Any]:
    """The answer of a completed sign-in (login, or its second step)."""
    return {"access": tokens.access, "refresh": tokens.refresh, "user": UserSummarySerializer(user).data}


class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LoginThrottle, LoginAccountThrottle]

    @extend_schema(
        request=LoginSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="LoginAnswer",
                serializers=[LoginResponseSerializer, MfaChallengeSerializer],
                resource_type_field_name=None,
            )
        },
        summary="Sign in with email and password; optionally bind the session to a device. A user "
        "with two-factor authentication gets an `mfa_token` to answer at /auth/mfa/verify/.",
    )
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user, outcome = auth.login(
            email=data["email"],
            password=data["password"],
            device_id=data.get("device"),
            client_ip=_client_ip(request),
        )
        if isinstance(outcome, mfa.Challenge):
            challenge = {"mfa_required": True, "mfa_token": outcome.mfa_token}
            if outcome.enrolment_required:
                challenge["enrolment_required"] = True
            return Response(challenge)
        return Response(signed_in(user, outcome))


class RefreshView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LoginThrottle]

    @extend_schema(
        request=RefreshSerializer, responses={200: TokenPairSerializer}, summary="Rotate a refresh token."
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = auth.refresh(raw_refresh=serializer.validated_data["refresh"])
        return Response({"access": tokens.access, "refresh": tokens.refresh})


class LogoutView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LoginThrottle]

    @extend_schema(
        request=RefreshSerializer,
        responses={204: OpenApiResponse(description="The refresh token no longer works.")},
        summary="Sign out: the refresh token stops working.",
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        auth.logout(raw_refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [PersonOnly]

    @extend_schema(responses={200: UserSummarySerializer}, summary="The signed-in user.")
    def get(self, request: Request) -> Response:
        return Response(UserSummarySerializer(cast(User, request.user)).data)

    @extend_schema(
        request=PreferencesSerializer,
        responses={200: UserSummarySerializer, 400: ErrorSerializer},
        summary="Set the signed-in user's `language` (en, es, fr; blank: none) and `timezone` "
        "(an IANA name; blank: the branch's). The zone formats times shown to this user in "
        "pages, exports and e-mails; API timestamps stay UTC.",
    )
    def patch(self, request: Request) -> Response:
        serializer = PreferencesSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_set_preferences(user=cast(User, request.user), **serializer.validated_data)
        return Response(UserSummarySerializer(user).data)
