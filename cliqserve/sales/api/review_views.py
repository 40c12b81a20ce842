"""POST /api/v1/sales/{sale_id}/review/: a manager marks a flagged sale reviewed.

The review queue itself is the sale list: GET /api/v1/sales/?needs_review=true. A reviewed sale
leaves it (services/review.py).
"""

from __future__ import annotations

from typing import ClassVar

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.serializers import ErrorSerializer, StrictSerializer
from cliqserve.core.roles import Role

from .. import selectors
from ..services import review
from .refund_views import SaleChildViewSet
from .serializers import SaleSerializer

REVIEWERS = frozenset({Role.TENANT_ADMIN, Role.BRANCH_MANAGER})

REVIEW_REFUSED: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(
        ErrorSerializer, description="`validation_error`: `note` is missing, blank or too long."
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description="`permission_denied`: only the tenant admin or the branch's manager reviews sales.",
    ),
    404: OpenApiResponse(
        ErrorSerializer, description="`not_found`: no such sale in the caller's tenant and branch."
    ),
    409: OpenApiResponse(
        ErrorSerializer,
        description="`conflict`: the sale does not need a review, or was reviewed already.",
    ),
}


class ReviewSerializer(StrictSerializer):
    note = serializers.CharField(
        max_length=review.MAX_NOTE_LENGTH, help_text="What was checked and found (kept on the sale)."
    )


class SaleReviewViewSet(SaleChildViewSet):
    """Mark a sale flagged for review (`needs_review`) as reviewed, with a note: it leaves the
    review queue, keeps its `review_reasons`, and answers `reviewed_at`, `reviewed_by` and
    `review_note`. The tenant admin reviews any sale, a branch manager those of its branch."""

    serializer_class = ReviewSerializer
    policy: ClassVar = {"retrieve": REVIEWERS, "review": REVIEWERS}

    @extend_schema(request=ReviewSerializer, responses={200: SaleSerializer, **REVIEW_REFUSED})
    def review(self, request: Request, sale_id: str) -> Response:
        sale = self.sale()
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review.sale_review(
            tenant=self.tenant, actor=self.actor, sale=sale, note=serializer.validated_data["note"]
        )
        reviewed = selectors.sale_list(tenant=self.tenant, actor=self.actor).get(pk=sale.pk)
        return Response(SaleSerializer(reviewed, context=self.context_for(reviewed)).data)
