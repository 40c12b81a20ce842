"""/api/v1/api-keys/: a tenant admin's keys for integrations (contract § API keys)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.serializers import ErrorSerializer, StrictModelSerializer
from cliqserve.core.api.viewsets import ReadOnlyPolicyViewSet
from cliqserve.core.roles import ApiKeyScope, Role

from .. import selectors, services
from ..models import ApiKey

ADMINS = {Role.TENANT_ADMIN}


class ApiKeySerializer(StrictModelSerializer):
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKeyScope.choices),
        allow_empty=False,
        max_length=len(ApiKeyScope),
    )
    created_by = serializers.UUIDField(source="created_by_id", read_only=True)

    class Meta:
        model = ApiKey
        fields: ClassVar = [
            "id",
            "name",
            "scopes",
            "expires_at",
            "prefix",
            "last_used_at",
            "revoked_at",
            "created_by",
            "created_at",
        ]
        read_only_fields: ClassVar = [
            "id",
            "prefix",
            "last_used_at",
            "revoked_at",
            "created_by",
            "created_at",
        ]


class IssuedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(
        read_only=True, help_text="The key itself, shown this once: store it now; only its hash is kept."
    )

    class Meta(ApiKeySerializer.Meta):
        fields: ClassVar = [*ApiKeySerializer.Meta.fields, "key"]


@extend_schema_view(
    create=extend_schema(
        request=ApiKeySerializer,
        responses={
            201: IssuedApiKeySerializer,
            400: OpenApiResponse(ErrorSerializer, description="validation_error"),
        },
        summary="Create a key; the answer is the only time its secret is shown.",
    ),
    destroy=extend_schema(
        responses={204: None},
        summary="Revoke the key: it stops working at once (revoking twice is harmless).",
    ),
)
class ApiKeyViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, ReadOnlyPolicyViewSet):
    """Keys of the caller's tenant, newest first; revoked ones stay listed, with `revoked_at`.
    A key never manages keys (no `key_scopes` here)."""

    model = ApiKey
    serializer_class = ApiKeySerializer
    policy: ClassVar = dict.fromkeys(("list", "retrieve", "create", "destroy"), ADMINS)

    def select(self) -> QuerySet[ApiKey]:
        return selectors.api_key_list(tenant=self.tenant)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = services.api_key_create(tenant=self.tenant, actor=self.actor, **serializer.validated_data)
        body = IssuedApiKeySerializer(issued.api_key).data
        return Response({**body, "key": issued.key}, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.api_key_revoke(tenant=self.tenant, actor=self.actor, api_key=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
