from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import HttpResponse
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.permissions import reads
from cliqserve.core.api.schema import IDEMPOTENCY_KEY, KEY_IN_USE, KEY_REUSED
from cliqserve.core.api.serializers import ErrorSerializer
from cliqserve.core.api.viewsets import ReadOnlyPolicyViewSet
from cliqserve.core.idempotency import idempotent
from cliqserve.core.roles import TENANT_ROLES, ApiKeyScope

from .. import selectors
from ..models import Sale
from ..services import selling
from .serializers import SaleCreateSerializer, SaleSerializer

SALE_REFUSED: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="`validation_error`: a field is invalid (named in `source.pointer`), e.g. an "
        "unknown product or shift; `payment_insufficient`: the payments do not cover the total; "
        "`idempotency_key_required`: the `Idempotency-Key` header is missing or malformed.",
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description="`permission_denied`: not your shift, or a cashier gave a discount above the "
        "tenant's limit or changed a price (named in `source.pointer`).",
    ),
    409: OpenApiResponse(
        ErrorSerializer,
        description="`insufficient_stock`: lines would take stock below zero (each named in "
        f"`meta.shortages`); `shift_not_open`: the shift is closed or its device deactivated; {KEY_IN_USE}",
    ),
    422: KEY_REUSED,
}


class SaleFilter(filters.FilterSet):
    shift = filters.UUIDFilter(field_name="shift_id")
    branch = filters.UUIDFilter(field_name="branch_id")
    device = filters.UUIDFilter(field_name="device_id")
    status = filters.ChoiceFilter(choices=Sale.Status.choices)
    needs_review = filters.BooleanFilter(
        label="true: the review queue, flagged sales not reviewed yet (POST {id}/review/ clears the flag)."
    )
    receipt_number = filters.CharFilter(field_name="receipt_number", lookup_expr="iexact")
    # `from` is a Python keyword: declared through the class dict below.
    to = filters.IsoDateTimeFilter(field_name="sold_at", lookup_expr="lt", label="Sold before this time.")

    class Meta:
        model = Sale
        fields: ClassVar[list[str]] = []


SaleFilter.base_filters["from"] = filters.IsoDateTimeFilter(
    field_name="sold_at", lookup_expr="gte", label="Sold at or after this time."
)


class SaleViewSet(ReadOnlyPolicyViewSet):
    """Sales, newest first. A sale is priced by the server from the catalog; the client sends
    products, quantities, optional discounts and the payments."""

    model = Sale
    serializer_class = SaleSerializer
    filterset_class = SaleFilter
    policy: ClassVar = {"list": TENANT_ROLES, "retrieve": TENANT_ROLES, "create": TENANT_ROLES}
    # A key reads sales; it never sells (no `create`), voids or refunds.
    key_scopes: ClassVar = reads(ApiKeyScope.SALES_READ)

    def select(self) -> QuerySet[Sale]:
        return selectors.sale_list(tenant=self.tenant, actor=self.actor)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and self.request.user.is_authenticated:
            context["currency"] = self.tenant.currency
        return context

    def get_serializer_class(self) -> Any:
        return SaleCreateSerializer if self.action == "create" else SaleSerializer

    @extend_schema(
        request=SaleCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: SaleSerializer, **SALE_REFUSED},
    )
    def create(self, request: Request) -> HttpResponse:
        return idempotent(request, self._create)

    def _create(self) -> Response:
        serializer = SaleCreateSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        sale = selling.sale_create(
            tenant=self.tenant,
            actor=self.actor,
            shift_id=data["shift"],
            lines=[selling.LineInput(product_id=line.pop("product"), **line) for line in data["lines"]],
            payments=[selling.PaymentInput(**payment) for payment in data["payments"]],
            token_device_id=self.request.auth.get("device") if self.request.auth else None,
        )
        return Response(
            SaleSerializer(sale, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )
