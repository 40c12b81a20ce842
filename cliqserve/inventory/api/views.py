from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models import QuerySet
from django.http import HttpResponse
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.permissions import reads
from cliqserve.core.api.schema import IDEMPOTENCY_KEY, KEY_IN_USE, KEY_REUSED
from cliqserve.core.api.serializers import ErrorSerializer
from cliqserve.core.api.views import PolicyViewSet
from cliqserve.core.api.viewsets import ReadOnlyPolicyViewSet, ServiceModelViewSet
from cliqserve.core.idempotency import idempotent
from cliqserve.core.roles import TENANT_ROLES, ApiKeyScope, Role

from .. import selectors, services
from ..models import StockLevel, StockMovement, StockTransfer
from .serializers import (
    StockAdjustmentSerializer,
    StockLevelSerializer,
    StockMovementSerializer,
    StockReceiptResultSerializer,
    StockReceiptSerializer,
    StockTransferSerializer,
)

MANAGERS = frozenset({Role.TENANT_ADMIN, Role.BRANCH_MANAGER})

INSUFFICIENT_STOCK = OpenApiResponse(
    ErrorSerializer, description="`insufficient_stock`: a line would take stock below zero (named in `meta`)."
)
WRONG_STATE = OpenApiResponse(
    ErrorSerializer, description="`conflict`: the transfer's status does not allow it."
)
IDEMPOTENCY_RESPONSES: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="`validation_error`: a field is invalid (named in `source.pointer`); "
        "`idempotency_key_required`: the `Idempotency-Key` header is missing or malformed.",
    ),
    422: KEY_REUSED,
}
SEND_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="`conflict`: the transfer is not a draft; `insufficient_stock`: a line would take the "
    "sending branch below zero (named in `meta`).",
)


# --- Stock levels and movements -----------------------------------------------------------------


class StockLevelFilter(filters.FilterSet):
    # Plain id filters: the list is already confined to the caller's scope, so another
    # tenant's (or branch's) id simply matches nothing.
    branch = filters.UUIDFilter(field_name="branch_id")
    product = filters.UUIDFilter(field_name="product_id")
    low = filters.BooleanFilter(
        method="filter_low", label="true: only levels at or below their reorder level; false: only above it."
    )

    class Meta:
        model = StockLevel
        fields: ClassVar[list[str]] = []

    def filter_low(self, queryset: QuerySet[StockLevel], name: str, value: bool) -> QuerySet[StockLevel]:
        at_or_below = queryset.filter(selectors.LOW_STOCK)
        return at_or_below if value else queryset.exclude(pk__in=at_or_below.values("pk"))


class StockLevelViewSet(ReadOnlyPolicyViewSet):
    """Stock per branch and product. Quantity and cost change only through movements; the
    reorder level is set by the tenant admin or the branch's manager."""

    model = StockLevel
    serializer_class = StockLevelSerializer
    filterset_class = StockLevelFilter
    policy: ClassVar = {
        "list": TENANT_ROLES,
        "retrieve": TENANT_ROLES,
        "update": MANAGERS,
        "partial_update": MANAGERS,
    }
    key_scopes: ClassVar = reads(ApiKeyScope.STOCK_READ)

    def select(self) -> QuerySet[StockLevel]:
        return selectors.stock_level_list(tenant=self.tenant, actor=self.actor)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        level = self.get_object()
        serializer = self.get_serializer(level, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        reorder_level = serializer.validated_data.get("reorder_level", level.reorder_level)
        level = services.stock_level_update(
            tenant=self.tenant, actor=self.actor, level=level, reorder_level=reorder_level
        )
        return Response(self.get_serializer(level).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)


class StockMovementFilter(filters.FilterSet):
    branch = filters.UUIDFilter(field_name="branch_id")
    product = filters.UUIDFilter(field_name="product_id")
    kind = filters.ChoiceFilter(choices=StockMovement.Kind.choices)

    class Meta:
        model = StockMovement
        fields: ClassVar[list[str]] = []


class StockMovementViewSet(ReadOnlyPolicyViewSet):
    """The stock ledger: append-only, one row per change of stock, newest first."""

    model = StockMovement
    serializer_class = StockMovementSerializer
    filterset_class = StockMovementFilter
    policy: ClassVar = {"list": TENANT_ROLES, "retrieve": TENANT_ROLES}
    key_scopes: ClassVar = reads(ApiKeyScope.STOCK_READ)

    def select(self) -> QuerySet[StockMovement]:
        return selectors.stock_movement_list(tenant=self.tenant, actor=self.actor)


# --- Receipts and adjustments (POST only) ---------------------------------------------------------


class StockReceiptViewSet(PolicyViewSet):
    """Goods in: one `receipt` movement per line; each product's average cost moves."""

    serializer_class = StockReceiptSerializer
    filter_backends = ()
    pagination_class = None
    policy: ClassVar = {"create": MANAGERS}
    key_scopes: ClassVar = {"create": ApiKeyScope.STOCK_WRITE}

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: StockReceiptResultSerializer,
            **IDEMPOTENCY_RESPONSES,
            409: OpenApiResponse(ErrorSerializer, description=KEY_IN_USE),
        },
    )
    def create(self, request: Request) -> HttpResponse:
        return idempotent(request, self._create)

    def _create(self) -> Response:
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        movements = services.stock_receipt_create(
            tenant=self.tenant,
            actor=self.actor,
            branch=data["branch"],
            lines=data["lines"],
            reference=data["reference"],
        )
        result = {"branch": data["branch"].pk, "reference": data["reference"], "movements": movements}
        return Response(StockReceiptResultSerializer(result).data, status=status.HTTP_201_CREATED)


class StockAdjustmentViewSet(PolicyViewSet):
    """A correction by `quantity_delta`, or a stock count (`counted_quantity`)."""

    serializer_class = StockAdjustmentSerializer
    filter_backends = ()
    pagination_class = None
    policy: ClassVar = {"create": MANAGERS}
    key_scopes: ClassVar = {"create": ApiKeyScope.STOCK_WRITE}

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: StockMovementSerializer,
            **IDEMPOTENCY_RESPONSES,
            409: OpenApiResponse(
                ErrorSerializer, description=f"{INSUFFICIENT_STOCK.description} {KEY_IN_USE}"
            ),
        },
    )
    def create(self, request: Request) -> HttpResponse:
        return idempotent(request, self._create)

    def _create(self) -> Response:
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        movement = services.stock_adjustment_create(
            tenant=self.tenant, actor=self.actor, **serializer.validated_data
        )
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)


# --- Transfers ----------------------------------------------------------------------------------


class StockTransferFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=StockTransfer.Status.choices)
    from_branch = filters.UUIDFilter(field_name="from_branch_id")
    to_branch = filters.UUIDFilter(field_name="to_branch_id")
    branch = filters.UUIDFilter(method="filter_branch", label="Transfers out of or into this branch.")

    class Meta:
        model = StockTransfer
        fields: ClassVar[list[str]] = []

    def filter_branch(
        self, queryset: QuerySet[StockTransfer], name: str, value: Any
    ) -> QuerySet[StockTransfer]:
        return queryset.filter(models.Q(from_branch_id=value) | models.Q(to_branch_id=value))


TRANSFER_ACTIONS = ("send", "receive", "cancel")


@extend_schema_view(
    update=extend_schema(responses={200: StockTransferSerializer, 409: WRONG_STATE}),
    partial_update=extend_schema(responses={200: StockTransferSerializer, 409: WRONG_STATE}),
    destroy=extend_schema(
        description="Cancels a draft (the row stays, status `cancelled`); a sent transfer is "
        "cancelled with POST cancel/, which returns its stock.",
        responses={204: None, 409: WRONG_STATE},
    ),
)
class StockTransferViewSet(ServiceModelViewSet):
    """Stock moving between two branches: draft -> sent -> received, or cancelled before receipt.

    Editable while draft. Stock leaves the sending branch on send and arrives on receive.
    """

    model = StockTransfer
    serializer_class = StockTransferSerializer
    filterset_class = StockTransferFilter
    policy: ClassVar = dict.fromkeys(
        ("list", "retrieve", "create", "update", "partial_update", "destroy", *TRANSFER_ACTIONS), MANAGERS
    )

    def select(self) -> QuerySet[StockTransfer]:
        return selectors.stock_transfer_list(tenant=self.tenant, actor=self.actor)

    def create_object(self, data: dict[str, Any]) -> StockTransfer:
        return services.stock_transfer_create(tenant=self.tenant, actor=self.actor, **data)

    def update_object(self, instance: StockTransfer, data: dict[str, Any]) -> StockTransfer:
        return services.stock_transfer_update(tenant=self.tenant, actor=self.actor, transfer=instance, **data)

    def deactivate_object(self, instance: StockTransfer) -> None:
        services.stock_transfer_cancel(
            tenant=self.tenant, actor=self.actor, transfer=instance, drafts_only=True
        )

    def _transition(self, service: Any) -> Response:
        transfer = service(tenant=self.tenant, actor=self.actor, transfer=self.get_object())
        return Response(self.get_serializer(self.reloaded(transfer)).data)

    @extend_schema(request=None, responses={200: StockTransferSerializer, 409: SEND_REFUSED})
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        """draft -> sent: the stock leaves the sending branch at its average cost."""
        return self._transition(services.stock_transfer_send)

    @extend_schema(request=None, responses={200: StockTransferSerializer, 409: WRONG_STATE})
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str | None = None) -> Response:
        """sent -> received: the stock arrives at the receiving branch, at the cost it left with."""
        return self._transition(services.stock_transfer_receive)

    @extend_schema(request=None, responses={200: StockTransferSerializer, 409: WRONG_STATE})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """draft or sent -> cancelled; a sent transfer's stock returns to the sending branch."""
        return self._transition(services.stock_transfer_cancel)
