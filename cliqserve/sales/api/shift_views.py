from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import HttpResponse
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.schema import KEY_IN_USE, KEY_REUSED, OPTIONAL_IDEMPOTENCY_KEY
from cliqserve.core.api.serializers import ErrorSerializer
from cliqserve.core.api.viewsets import ReadOnlyPolicyViewSet
from cliqserve.core.idempotency import idempotent_when_keyed
from cliqserve.core.roles import TENANT_ROLES

from .. import selectors
from ..models import Shift
from ..services import shifts
from ..shift_report import shift_report
from .shift_serializers import (
    CashMovementSerializer,
    ShiftCloseSerializer,
    ShiftOpenSerializer,
    ShiftReportSerializer,
    ShiftSerializer,
)

KEY_MALFORMED = "`idempotency_key_required`: the `Idempotency-Key` header was sent but is malformed."
NOT_OPEN = f"`shift_not_open`: the shift is closed. {KEY_IN_USE}"
DRAWER_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="`permission_denied`: only the shift's cashier, its branch's manager or the tenant admin.",
)


class ShiftFilter(filters.FilterSet):
    device = filters.UUIDFilter(field_name="device_id")
    branch = filters.UUIDFilter(field_name="branch_id")
    cashier = filters.UUIDFilter(field_name="cashier_id")
    status = filters.ChoiceFilter(choices=Shift.Status.choices)

    class Meta:
        model = Shift
        fields: ClassVar[list[str]] = []


class ShiftViewSet(ReadOnlyPolicyViewSet):
    """Cash-drawer shifts, newest first: the tenant admin sees all, a branch manager its branch's,
    a cashier its own. One open shift per device; sales are rung up on an open shift."""

    model = Shift
    serializer_class = ShiftSerializer
    filterset_class = ShiftFilter
    policy: ClassVar = dict.fromkeys(
        ("list", "retrieve", "create", "cash_movements", "close", "report"), TENANT_ROLES
    )

    def select(self) -> QuerySet[Shift]:
        return selectors.shift_list(tenant=self.tenant, actor=self.actor)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and self.request.user.is_authenticated:
            context["currency"] = self.tenant.currency
        return context

    def _validated(self, serializer_class: type[Any]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    # --- Open -----------------------------------------------------------------------------------

    @extend_schema(
        request=ShiftOpenSerializer,
        parameters=[OPTIONAL_IDEMPOTENCY_KEY],
        responses={
            201: ShiftSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`validation_error`: a field is invalid (named in `source.pointer`), e.g. a "
                f"device not of this tenant or too many decimals; {KEY_MALFORMED}",
            ),
            403: OpenApiResponse(
                ErrorSerializer,
                description="`permission_denied` (pointer `/device`): a cashier not assigned to the "
                "device or signed in on another one, or a manager of another branch.",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`shift_already_open`: the device has an open shift (its id in "
                "`meta.shift`); `conflict`: the device or its branch is deactivated. " + KEY_IN_USE,
            ),
            422: KEY_REUSED,
        },
    )
    def create(self, request: Request) -> HttpResponse:
        """Open a shift on a device; the caller becomes its cashier."""
        return idempotent_when_keyed(self.request, self._open)

    def _open(self) -> Response:
        data = self._validated(ShiftOpenSerializer)
        shift = shifts.shift_open(
            tenant=self.tenant,
            actor=self.actor,
            device_id=data["device"],
            opening_cash=data["opening_cash"],
            token_device_id=self.request.auth.get("device") if self.request.auth else None,
        )
        body = ShiftSerializer(shift, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    # --- Cash movements -------------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: CashMovementSerializer(many=True)},
        description="The shift's pay-ins and pay-outs, newest first.",
    )
    @extend_schema(
        methods=["POST"],
        request=CashMovementSerializer,
        parameters=[OPTIONAL_IDEMPOTENCY_KEY],
        responses={
            201: CashMovementSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`validation_error`: a field is invalid (named in `source.pointer`), e.g. a "
                "pay-out above the cash the drawer should hold (`/amount`, with `meta.expected_cash`); "
                f"{KEY_MALFORMED}",
            ),
            403: DRAWER_REFUSED,
            409: OpenApiResponse(ErrorSerializer, description=NOT_OPEN),
            422: KEY_REUSED,
        },
        description="Put cash into the open shift's drawer (`pay_in`) or take it out (`pay_out`).",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="cash-movements",
        url_name="cash-movements",
        filter_backends=[],
    )
    def cash_movements(self, request: Request, pk: str | None = None) -> HttpResponse:
        if request.method == "GET":
            return self._movements()
        return idempotent_when_keyed(self.request, self._pay)

    def _movements(self) -> Response:
        movements = selectors.cash_movement_list(tenant=self.tenant, shift=self.get_object())
        page = self.paginate_queryset(movements)
        context = self.get_serializer_context()
        return self.get_paginated_response(CashMovementSerializer(page, many=True, context=context).data)

    def _pay(self) -> Response:
        data = self._validated(CashMovementSerializer)
        movement = shifts.cash_movement_create(
            tenant=self.tenant, actor=self.actor, shift=self.get_object(), **data
        )
        body = CashMovementSerializer(movement, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    # --- Close and report -----------------------------------------------------------------------

    @extend_schema(
        request=ShiftCloseSerializer,
        parameters=[OPTIONAL_IDEMPOTENCY_KEY],
        responses={
            200: ShiftReportSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`validation_error`: `counted_cash` is negative or has too many decimals; "
                f"{KEY_MALFORMED}",
            ),
            403: DRAWER_REFUSED,
            409: OpenApiResponse(ErrorSerializer, description=NOT_OPEN),
            422: KEY_REUSED,
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def close(self, request: Request, pk: str | None = None) -> HttpResponse:
        """Close the open shift with the cash counted in the drawer. Waits for the sales in flight
        on the shift; later sales get `shift_not_open`. The answer is the shift's Z report."""
        return idempotent_when_keyed(self.request, self._close)

    def _close(self) -> Response:
        data = self._validated(ShiftCloseSerializer)
        report = shifts.shift_close(
            tenant=self.tenant, actor=self.actor, shift=self.get_object(), counted_cash=data["counted_cash"]
        )
        return Response(ShiftReportSerializer(report, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: ShiftReportSerializer})
    @action(detail=True, methods=["get"], filter_backends=[])
    def report(self, request: Request, pk: str | None = None) -> Response:
        """The Z report of the shift, open or closed, computed from its rows."""
        report = shift_report(tenant=self.tenant, shift=self.get_object())
        return Response(ShiftReportSerializer(report, context=self.get_serializer_context()).data)
