"""GET /api/v1/flags/: the caller's effective feature flags (contract § Flags and preferences).

Devices switch their UI on these. Every signed-in person may ask, for themselves only; an API
key may not: it drives no UI, and the conditions (user, role) are about people
(docs/adr/0013-feature-flags.md).
"""

from __future__ import annotations

from typing import ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.roles import Role

from ..feature_flags import flags_for
from .views import PolicyAPIView


class FlagsSerializer(serializers.Serializer[dict[str, dict[str, bool]]]):
    flags = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="Every declared flag (module.feature.action) and whether it is on for the caller.",
    )


class FlagsView(PolicyAPIView):
    policy: ClassVar = {"get": frozenset(Role.values)}

    @extend_schema(
        operation_id="flags_retrieve",
        responses={200: FlagsSerializer},
        summary="The caller's effective feature flags.",
        description="Evaluated for the signed-in person (tenant, role, user, rollout percentages, "
        "dates); a flag the caller does not get is false, never missing.",
    )
    def get(self, request: Request) -> Response:
        return Response(FlagsSerializer({"flags": flags_for(request=request)}).data)
