"""/api/v1/auth/approvals/ (a manager's one-time approval at the till) and /api/v1/auth/pin/
(the approver's own PIN, quicker to type there than a password)."""

from __future__ import annotations

from typing import ClassVar, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.serializers import ErrorSerializer
from cliqserve.core.api.views import PolicyAPIView
from cliqserve.core.roles import TENANT_ROLES

from .. import auth, services
from ..models import User
from .serializers import ApprovalPinSerializer, ApprovalRequestSerializer, ApprovalSerializer
from .throttles import LoginAccountThrottle, LoginThrottle
from .views import _client_ip


class ApprovalView(PolicyAPIView):
    """A manager approves, at the till, one thing the signed-in cashier may not do alone."""

    policy: ClassVar = {"post": TENANT_ROLES}
    # The manager's password or PIN is checked here: as hard to guess as at sign-in.
    throttle_classes = [LoginThrottle, LoginAccountThrottle]

    @extend_schema(
        request=ApprovalRequestSerializer,
        responses={
            201: ApprovalSerializer,
            401: OpenApiResponse(
                ErrorSerializer, description="`authentication_failed`: wrong manager credentials."
            ),
            403: OpenApiResponse(
                ErrorSerializer,
                description="`permission_denied`: not the tenant admin or this branch's manager.",
            ),
        },
        summary="A manager's one-time approval (valid 2 minutes) for a discount, a price override, a "
        "refund or a void.",
    )
    def post(self, request: Request) -> Response:
        serializer = ApprovalRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        client = auth.LoginClient(ip=_client_ip(request))
        if data.get("pin"):
            approver = auth.check_pin(email=data["email"], pin=data["pin"], client=client)
        else:
            approver = auth.check_credentials(email=data["email"], password=data["password"], client=client)
        granted = services.approval_grant(
            tenant=self.tenant, requester=self.actor, approver=approver, action=data["action"]
        )
        body = {
            "approval": granted.token,
            "action": granted.approval.action,
            "approver": granted.approval.approver_id,
            "expires_at": granted.approval.expires_at,
        }
        return Response(ApprovalSerializer(body).data, status=status.HTTP_201_CREATED)


class ApprovalPinView(PolicyAPIView):
    """The signed-in approver's PIN: set or change it (with the password), or remove it."""

    policy: ClassVar = {"post": services.APPROVERS, "delete": services.APPROVERS}
    throttle_classes = [LoginThrottle]  # the password is checked here

    @extend_schema(
        request=ApprovalPinSerializer,
        responses={
            204: None,
            400: OpenApiResponse(
                ErrorSerializer, description="`validation_error`: a wrong password or a weak PIN."
            ),
            403: OpenApiResponse(
                ErrorSerializer, description="`permission_denied`: a cashier, who never approves."
            ),
        },
        summary="Set or change the caller's approval PIN (tenant admins and branch managers).",
    )
    def post(self, request: Request) -> Response:
        serializer = ApprovalPinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.approval_pin_set(user=cast(User, request.user), **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: None}, summary="Remove the caller's approval PIN.")
    def delete(self, request: Request) -> Response:
        services.approval_pin_remove(user=cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)
