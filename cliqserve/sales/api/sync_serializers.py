"""Serializers of POST /api/v1/sync/sales/ and the parsing of each uploaded sale on its own."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cliqserve.core.api.serializers import ErrorObjectSerializer, StrictSerializer

# The one place that turns DRF's nested errors into contract error objects with pointers.
from cliqserve.core.errors import validation_error_objects

from ..services.offline import CREATED, DUPLICATE, MAX_BATCH, REJECTED, OfflineSaleInput, SyncResult
from ..services.selling import LineInput, PaymentInput
from .serializers import PaymentInputSerializer, SaleLineInputSerializer

RECEIPT_NUMBER_MAX = 64


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset. A device's local time without one is ambiguous: refused."""

    default_error_messages = {
        "naive": _("Give the time with its UTC offset, e.g. 2025-01-31T09:30:00+01:00.")
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class OfflineSaleSerializer(StrictSerializer):
    """A sale the device rang up offline: lines and payments as an online sale, with the
    device's own id, receipt number and time."""

    client_id = serializers.UUIDField(
        help_text="The device's id for this sale: the deduplication key, per tenant and forever."
    )
    receipt_number = serializers.CharField(
        max_length=RECEIPT_NUMBER_MAX,
        help_text="The number the device printed; unique per device (another sale with it is `conflict`).",
    )
    created_at = AwareDateTimeField(
        help_text="When the device rang the sale up, with UTC offset; kept as the sale's `sold_at`. "
        "At most 5 minutes in the future."
    )
    lines = SaleLineInputSerializer(many=True, allow_empty=False, max_length=500)  # type: ignore[call-arg]
    payments = PaymentInputSerializer(many=True, max_length=20)  # type: ignore[call-arg]


class _SalesField(serializers.ListField):
    """Described as a list of OfflineSale, but only the list itself is checked here: each sale
    is parsed on its own (`parse_sales`), so one malformed sale is rejected alone."""

    def run_child_validation(self, data: Any) -> list[Any]:
        return list(data)


class SalesSyncSerializer(StrictSerializer):
    """A batch of one device's offline sales."""

    device = serializers.UUIDField(help_text="The device that rang the sales up, in the caller's tenant.")
    sales = _SalesField(
        child=OfflineSaleSerializer(),
        min_length=1,
        max_length=MAX_BATCH,
        help_text=f"1 to {MAX_BATCH} sales, each recorded in its own transaction.",
    )


class SalesSyncResultSerializer(serializers.Serializer[SyncResult]):
    client_id = serializers.UUIDField(
        allow_null=True, help_text="As sent; null if the sale had no readable `client_id`."
    )
    status = serializers.ChoiceField(
        choices=[CREATED, DUPLICATE, REJECTED],
        help_text="`created`: recorded now; `duplicate`: this client_id was recorded before "
        "(whatever the body), nothing written; `rejected`: nothing written, `errors` say why.",
    )
    sale = serializers.UUIDField(
        source="sale_id",
        allow_null=True,
        help_text="The sale's id: the new one, or for a duplicate the existing one; null if rejected.",
    )
    receipt_number = serializers.CharField(
        allow_null=True,
        help_text="The recorded sale's receipt number (for a duplicate, the existing sale's); "
        "for a rejected sale the one sent, if readable.",
    )
    errors = ErrorObjectSerializer(  # type: ignore[assignment]  # popped by DRF
        many=True,
        help_text="Empty unless rejected. Error objects as in every error response; pointers are "
        "absolute in the request body, e.g. `/sales/3/lines/0/product`.",
    )


class SalesSyncResponseSerializer(serializers.Serializer[dict[str, Any]]):
    results = SalesSyncResultSerializer(many=True, help_text="One per uploaded sale, in request order.")


# --- One sale at a time ---------------------------------------------------------------------------


def parse_sales(raw_sales: list[Any]) -> list[OfflineSaleInput | SyncResult]:
    """Each sale parsed on its own: the service's input, or the rejection of a malformed sale."""
    return [_parse_sale(index, raw) for index, raw in enumerate(raw_sales)]


def _parse_sale(index: int, raw: Any) -> OfflineSaleInput | SyncResult:
    serializer = OfflineSaleSerializer(data=raw)
    if not serializer.is_valid():
        # Nested under /sales/<index>, so the pointers are absolute in the request body.
        nested = serializers.ValidationError({"sales": {str(index): serializer.errors}})
        return SyncResult(
            index=index,
            client_id=_readable_client_id(raw),
            status=REJECTED,
            receipt_number=_readable_receipt_number(raw),
            errors=validation_error_objects(nested),
        )
    data = serializer.validated_data
    return OfflineSaleInput(
        index=index,
        client_id=data["client_id"],
        receipt_number=data["receipt_number"],
        created_at=data["created_at"],
        lines=[LineInput(product_id=line.pop("product"), **line) for line in data["lines"]],
        payments=[PaymentInput(**payment) for payment in data["payments"]],
    )


def _readable_client_id(raw: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw["client_id"]))
    except (TypeError, KeyError, ValueError):
        return None


def _readable_receipt_number(raw: Any) -> str | None:
    value = raw.get("receipt_number") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= RECEIPT_NUMBER_MAX else None
