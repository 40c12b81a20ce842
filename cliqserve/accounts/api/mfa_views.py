"""/api/v1/auth/mfa/...: TOTP enrolment, the sign-in's second step, removal, and an admin's reset."""

from __future__ import annotations

from base64 import b32encode
from typing import Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cliqserve.core.api.permissions import PersonOnly
from cliqserve.core.api.serializers import ErrorSerializer

from .. import auth, mfa
from ..authentication import ApiKeyAuthentication, JWTAuthentication
from ..models import User
from .serializers import (
    CodeSerializer,
    LoginResponseSerializer,
    MfaVerifySerializer,
    RecoveryCodesSerializer,
    TotpRemoveSerializer,
    TotpStartSerializer,
)
from .throttles import LoginThrottle
from .views import _client_ip, signed_in


class EnrolmentTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <mfa_token>` from a login that requires enrolment: accepted by the
    two enrolment routes only (they list this class; nothing else does). Any other bearer token
    is left to the JWT authentication that follows."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        header = get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != b"bearer":
            return None
        pending = mfa.read_token(header[1].decode("latin-1"), purpose=mfa.ENROL)
        if pending is None:
            return None
        user = User.objects.select_related("tenant").filter(pk=pending.user_id, is_active=True).first()
        return (user, None) if user is not None else None

    def authenticate_header(self, request: Request) -> str:
        # Named, so that a caller with no credentials gets 401 (DRF answers 403 without one).
        return 'Bearer realm="api"'


class EnrolmentView(APIView):
    # An API key is recognised only to be refused (403) like everywhere a key has no scope.
    authentication_classes = [EnrolmentTokenAuthentication, JWTAuthentication, ApiKeyAuthentication]
    permission_classes = [PersonOnly]

    @property
    def person(self) -> User:
        """The caller: PersonOnly has refused anyone else."""
        return cast("User", self.request.user)


class TotpView(EnrolmentView):
    @extend_schema(
        request=None,
        responses={201: TotpStartSerializer, 409: OpenApiResponse(ErrorSerializer, description="already on")},
        summary="Start TOTP enrolment: a secret for the authenticator app (pending until confirmed).",
    )
    def post(self, request: Request) -> Response:
        device = mfa.totp_start(user=self.person)
        body = {"secret": b32encode(device.bin_key).decode(), "otpauth_uri": device.config_url}
        return Response(TotpStartSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TotpRemoveSerializer,
        responses={204: None, 400: OpenApiResponse(ErrorSerializer, description="wrong password or code")},
        summary="Turn two-factor authentication off (password and a code); not for roles that require it.",
    )
    def delete(self, request: Request) -> Response:
        serializer = TotpRemoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mfa.totp_remove(user=self.person, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmView(EnrolmentView):
    @extend_schema(
        request=CodeSerializer,
        responses={
            200: RecoveryCodesSerializer,
            400: OpenApiResponse(ErrorSerializer, description="wrong code"),
        },
        summary="Confirm enrolment with the app's first code; answers ten recovery codes, shown once.",
    )
    def post(self, request: Request) -> Response:
        serializer = CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        codes = mfa.totp_confirm(user=self.person, code=serializer.validated_data["code"])
        return Response({"recovery_codes": codes})


class MfaVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    # Wrong codes are also throttled per authenticator by django-otp.
    throttle_classes = [LoginThrottle]

    @extend_schema(
        request=MfaVerifySerializer,
        responses={200: LoginResponseSerializer, 401: OpenApiResponse(ErrorSerializer)},
        summary="The sign-in's second step: the login's mfa_token and a code (or a recovery code).",
    )
    def post(self, request: Request) -> Response:
        serializer = MfaVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        user, tokens = auth.mfa_verify(
            mfa_token=data["mfa_token"],
            code=data.get("code"),
            recovery_code=data.get("recovery_code"),
            client_ip=_client_ip(request),
        )
        return Response(signed_in(user, tokens))
