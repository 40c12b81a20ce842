from __future__ import annotations

from typing import ClassVar

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.serializers import ErrorSerializer
from cliqserve.core.api.views import PolicyAPIView
from cliqserve.core.roles import TENANT_ROLES

from ..services import offline
from .sync_serializers import SalesSyncResponseSerializer, SalesSyncSerializer, parse_sales


class SalesSyncView(PolicyAPIView):
    """Upload sales a device rang up offline. Each sale is recorded in its own transaction and
    gets one result, in request order: `created`, `duplicate` or `rejected`. The answer is 200 whatever
    the sales' fates; a retry of the same batch is always safe. No `Idempotency-Key`: `client_id`
    deduplicates.

    **Who**: the device must be in your tenant (else 400, pointer `/device`). A cashier must be
    assigned to it (and, signed in on a device, upload that device's sales); a branch manager uploads
    for the devices of its branch; the tenant admin for any. The sales are recorded with you as cashier.

    **Deduplication**: a `client_id` already recorded in the tenant, whatever the body, is `duplicate`
    with the existing sale's id and receipt number, and nothing is written. The database's unique
    constraint decides, so the same batch uploaded twice at once records every sale once.

    **Kept from the device**: the receipt number (1 to 64 characters; another sale of the device with
    it is rejected `conflict`) and `created_at` as the sale's `sold_at` (more than 5 minutes in the
    future is rejected `validation_error`). Prices come from the catalog, as online.

    **Shift**: the device's shift that was open at `created_at` (opened at or before it, and not closed
    before it). If that shift has been closed since, the sale is still recorded on it and flagged
    `late_for_closed_shift` (the Z report recomputes from the sales). If no shift of the device covers
    `created_at`, the sale goes on the device's open shift, flagged `outside_shift`; with no open shift
    it is rejected `shift_not_open` — keep it, open a shift and upload it again.

    **Accepted but flagged for review** (`needs_review`, `review_reasons` sorted): stock left below
    zero at the branch (`negative_stock`; the sale happened, so it is never refused for stock), a
    cashier's price override (`price_override`), a discount above the tenant's cashier limit
    (`discount_above_limit`), an inactive product (`inactive_product`), a cashier's sale on another
    cashier's shift (`other_cashiers_shift`), plus the two shift flags.

    **Rejected** (nothing written for that sale; `errors` in the usual error-object format, each
    `source.pointer` absolute in the request body, e.g. `/sales/3/lines/0/product`): a malformed sale
    (`validation_error`), an unknown product (`validation_error`), payments short of the total
    (`payment_insufficient`), card and other payments above the total (`validation_error`), a reused
    receipt number (`conflict`), no shift (`shift_not_open`)."""

    policy: ClassVar = {"post": TENANT_ROLES}

    @extend_schema(
        request=SalesSyncSerializer,
        responses={
            200: SalesSyncResponseSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`validation_error`: the batch itself is invalid (`/device` unknown in your "
                f"tenant, `sales` not a list of 1 to {offline.MAX_BATCH}); nothing is recorded. A single "
                "bad sale is not a 400: it is rejected in its result.",
            ),
            403: OpenApiResponse(
                ErrorSerializer,
                description="`permission_denied`: you may not upload for this device; nothing is recorded.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = SalesSyncSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = offline.offline_sales_sync(
            tenant=self.tenant,
            actor=self.actor,
            device_id=serializer.validated_data["device"],
            sales=parse_sales(serializer.validated_data["sales"]),
            token_device_id=self.request.auth.get("device") if self.request.auth else None,
        )
        return Response(SalesSyncResponseSerializer({"results": results}).data)
