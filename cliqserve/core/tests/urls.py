"""Test-only endpoints that exercise the error handler, throttling and logging end to end."""

import logging
from typing import Any

from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from cliqserve.core.errors import Conflict
from config.urls import urlpatterns as project_urlpatterns

logger = logging.getLogger("cliqserve.tests")


class LineSerializer(serializers.Serializer):
    product = serializers.UUIDField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0)


class OrderSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5)
    lines = LineSerializer(many=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["note"] == "whole":
            raise serializers.ValidationError("The order as a whole is wrong.")
        return attrs


class EchoView(APIView):
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        serializer = OrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"ok": True}, status=201)


class PrivateView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class DenyAll(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return False


class ForbiddenView(APIView):
    permission_classes = [DenyAll]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})  # pragma: no cover - never reached


class BoomView(APIView):
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        logger.info("about to fail", extra={"password": request.data.get("password")})
        raise RuntimeError(f"secret in message: {request.headers.get('Authorization')}")


class ConflictView(APIView):
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        raise Conflict("Transfer already sent.", meta={"status": "sent"})


class TwoPerMinute(AnonRateThrottle):
    rate = "2/minute"


class ThrottledView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [TwoPerMinute]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("api/v1/_test/echo/", EchoView.as_view()),
    path("api/v1/_test/private/", PrivateView.as_view()),
    path("api/v1/_test/forbidden/", ForbiddenView.as_view()),
    path("api/v1/_test/boom/", BoomView.as_view()),
    path("api/v1/_test/conflict/", ConflictView.as_view()),
    path("api/v1/_test/throttled/", ThrottledView.as_view()),
    *project_urlpatterns,
]

handler404 = "cliqserve.core.errors.handler404"
handler500 = "cliqserve.core.errors.handler500"
