"""Refunds and voids of one sale: /sales/{sale_id}/refunds/ and /sales/{sale_id}/void/.

The sale is looked up in the caller's scope first (the sale list's: admin the tenant, manager
its branch, cashier its own), so a sale the caller cannot see is 404 whatever the method, and
only then does the idempotency key or the body count.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.schema import IDEMPOTENCY_KEY, KEY_IN_USE, KEY_REUSED, OPTIONAL_IDEMPOTENCY_KEY
from cliqserve.core.api.serializers import ErrorSerializer
from cliqserve.core.api.views import PolicyViewSet
from cliqserve.core.idempotency import idempotent, idempotent_when_keyed
from cliqserve.core.roles import TENANT_ROLES

from .. import selectors
from ..models import Sale
from ..services import refunds
from ..services.selling import PaymentInput
from .refund_serializers import RefundCreateSerializer, RefundSerializer, VoidSerializer
from .serializers import SaleSerializer

REFUND_REFUSED: dict[int, OpenApiResponse] = {
    403: OpenApiResponse(
        ErrorSerializer,
        description="`permission_denied`: a cashier without a manager's approval for this refund "
        "(missing, used, expired or for something else), or paying out of another's drawer.",
    ),
    400: OpenApiResponse(
        ErrorSerializer,
        description="`validation_error`: a field is invalid (named in `source.pointer`), e.g. a line "
        "not of this sale, payments that do not add up to the refund total (`/payments`), a card "
        "refund above what the card paid, a shift of another branch; `idempotency_key_required`: "
        "the `Idempotency-Key` header is missing or malformed.",
    ),
    409: OpenApiResponse(
        ErrorSerializer,
        description="`refund_exceeds_sale`: a line would be refunded beyond what was sold (each "
        "named in `meta.lines` with `sold`, `refunded`, `requested`); `shift_not_open`: cash goes "
        "back but no shift of the sale's branch is open (or the named one is closed); `conflict`: "
        f"the sale was voided; {KEY_IN_USE}",
    ),
    422: KEY_REUSED,
}
VOID_REFUSED: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="`validation_error`: `reason` is missing or blank; `idempotency_key_required`: an "
        "`Idempotency-Key` header was sent but is malformed.",
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description="`permission_denied`: a cashier may void only its own sales on its own shift, "
        "and, where the business asks for it, with a manager's approval (missing, used, expired or "
        "for something else).",
    ),
    409: OpenApiResponse(
        ErrorSerializer,
        description="`shift_not_open`: the sale's shift is closed (refund it instead); `conflict`: the "
        f"sale is already voided or has refunds; {KEY_IN_USE}",
    ),
    422: KEY_REUSED,
}


class SaleChildViewSet(PolicyViewSet):
    """A route under one sale. `retrieve` in the policy names who may reach that sale at all:
    other roles are refused before any lookup."""

    filter_backends = ()

    def sale(self) -> Sale:
        sale = selectors.sale_get(tenant=self.tenant, actor=self.actor, sale_id=self.kwargs["sale_id"])
        if sale is None:
            raise NotFound()
        return sale

    def context_for(self, sale: Sale) -> dict[str, Any]:
        return {**self.get_serializer_context(), "currency": sale.currency}


class SaleRefundViewSet(SaleChildViewSet):
    """A sale's refunds. Several partial refunds per sale, never more than was sold per line;
    cash goes back from an open shift of the sale's branch; optionally the units go back into
    stock at the sale's captured cost. For the tenant admin and the sale's branch manager; a
    cashier sees the refunds of its own sales and refunds one with a manager's approval."""

    serializer_class = RefundSerializer
    policy: ClassVar = {"retrieve": TENANT_ROLES, "list": TENANT_ROLES, "create": TENANT_ROLES}

    @extend_schema(responses={200: RefundSerializer(many=True)})
    def list(self, request: Request, sale_id: str) -> Response:
        sale = self.sale()
        page = self.paginate_queryset(selectors.refund_list(tenant=self.tenant, sale=sale))
        data = RefundSerializer(page, many=True, context=self.context_for(sale)).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=RefundCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: RefundSerializer, **REFUND_REFUSED},
    )
    def create(self, request: Request, sale_id: str) -> HttpResponse:
        sale = self.sale()
        return idempotent(request, lambda: self._create(sale))

    def _create(self, sale: Sale) -> Response:
        serializer = RefundCreateSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payments = data.get("payments")
        refund = refunds.refund_create(
            tenant=self.tenant,
            actor=self.actor,
            sale=sale,
            lines=[
                refunds.RefundLineInput(sale_line_id=line["sale_line"], quantity=line["quantity"])
                for line in data["lines"]
            ],
            restock=data["restock"],
            payments=None if payments is None else [PaymentInput(**payment) for payment in payments],
            reason=data["reason"],
            shift_id=data.get("shift"),
            token_device_id=self.request.auth.get("device") if self.request.auth else None,
            approval=data.get("approval"),
        )
        return Response(
            RefundSerializer(refund, context=self.context_for(sale)).data, status=status.HTTP_201_CREATED
        )


class SaleVoidViewSet(SaleChildViewSet):
    """Void a sale while its shift is open: a full reversal (stock back at the captured cost; the
    shift's report leaves the sale out of its takings). A cashier voids its own sales on its own
    shift, a branch manager those of its branch, the tenant admin any."""

    serializer_class = VoidSerializer
    policy: ClassVar = {"retrieve": TENANT_ROLES, "void": TENANT_ROLES}

    @extend_schema(
        request=VoidSerializer,
        parameters=[OPTIONAL_IDEMPOTENCY_KEY],
        responses={200: SaleSerializer, **VOID_REFUSED},
    )
    def void(self, request: Request, sale_id: str) -> HttpResponse:
        sale = self.sale()
        return idempotent_when_keyed(request, lambda: self._void(sale))

    def _void(self, sale: Sale) -> Response:
        serializer = VoidSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        refunds.sale_void(
            tenant=self.tenant,
            actor=self.actor,
            sale=sale,
            reason=serializer.validated_data["reason"],
            token_device_id=self.request.auth.get("device") if self.request.auth else None,
            approval=serializer.validated_data.get("approval"),
        )
        voided = selectors.sale_list(tenant=self.tenant, actor=self.actor).get(pk=sale.pk)
        return Response(SaleSerializer(voided, context=self.context_for(voided)).data)
