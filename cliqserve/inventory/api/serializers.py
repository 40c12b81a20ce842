from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from rest_framework import serializers

from cliqserve.catalog.models import Product
from cliqserve.core.api.serializers import StrictModelSerializer, StrictSerializer
from cliqserve.core.money import COST_PLACES, QUANTITY_PLACES
from cliqserve.tenants.models import Branch

from ..models import StockLevel, StockMovement, StockTransfer, StockTransferLine

MAX_LINES = 1000


def quantity(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=QUANTITY_PLACES, **kwargs)


def cost(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=COST_PLACES, **kwargs)


POSITIVE = Decimal(1).scaleb(-QUANTITY_PLACES)


def resolve_line_products(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn each line's product id into the product, with one query for all lines.

    The scoped manager makes another tenant's product id "does not exist", like an unknown one.
    """
    if len(lines) > MAX_LINES:
        raise serializers.ValidationError(
            _("At most %(count)s lines.") % {"count": MAX_LINES}, code="max_length"
        )
    found = Product.objects.in_bulk({line["product"] for line in lines})
    errors: list[dict[str, list[str]]] = [
        {} if line["product"] in found else {"product": [_("Unknown product.")]} for line in lines
    ]
    if any(errors):
        raise serializers.ValidationError(errors, code="does_not_exist")
    return [{**line, "product": found[line["product"]]} for line in lines]


# --- Reads --------------------------------------------------------------------------------------


class StockLevelSerializer(StrictModelSerializer):
    """Stock of one product in one branch. Only `reorder_level` is writable."""

    reorder_level = quantity(min_value=Decimal(0))

    class Meta:
        model = StockLevel
        fields: ClassVar = [
            "id",
            "branch",
            "product",
            "quantity",
            "average_cost",
            "reorder_level",
            "updated_at",
        ]
        read_only_fields: ClassVar = ["id", "branch", "product", "quantity", "average_cost", "updated_at"]


class StockMovementSerializer(serializers.ModelSerializer[StockMovement]):
    """One change of stock: `quantity` is signed (positive in, negative out)."""

    class Meta:
        model = StockMovement
        fields: ClassVar = [
            "id",
            "branch",
            "product",
            "kind",
            "quantity",
            "unit_cost",
            "reference",
            "reason",
            "actor",
            "api_key",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs: ClassVar = {
            "actor": {"help_text": "The person who moved the stock; null for a key or the system."},
            "api_key": {"help_text": "The integration's API key that moved the stock, if one did."},
        }


# --- Receipts and adjustments -------------------------------------------------------------------


class ReceiptLineSerializer(StrictSerializer):
    """One product received: how many, at what unit cost."""

    product = serializers.UUIDField()
    quantity = quantity(min_value=POSITIVE)
    unit_cost = cost(min_value=Decimal(0), help_text="Cost of one unit, in the tenant's currency.")


class StockReceiptSerializer(StrictSerializer):
    """Goods received into a branch; one line per product."""

    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    lines = ReceiptLineSerializer(many=True, allow_empty=False)

    def validate_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return resolve_line_products(lines)


class StockReceiptResultSerializer(serializers.Serializer[dict[str, Any]]):
    """The receipt as recorded: one `receipt` movement per line, in line order."""

    branch = serializers.UUIDField()
    reference = serializers.CharField()
    movements = StockMovementSerializer(many=True)


class StockAdjustmentSerializer(StrictSerializer):
    """A correction by `quantity_delta`, or a stock count by `counted_quantity` (exactly one)."""

    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects)
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects)
    quantity_delta = quantity(
        required=False, help_text="Signed change. Give this or counted_quantity, not both."
    )
    counted_quantity = quantity(
        required=False,
        min_value=Decimal(0),
        help_text="What a stock count found; recorded as a `count` movement of the difference.",
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


# --- Transfers ----------------------------------------------------------------------------------


class StockTransferLineSerializer(StrictModelSerializer):
    """A product on a transfer; `unit_cost` is captured when the transfer is sent."""

    product = serializers.UUIDField(source="product_id")
    quantity = quantity(min_value=POSITIVE)

    class Meta:
        model = StockTransferLine
        fields: ClassVar = ["product", "quantity", "unit_cost"]
        read_only_fields: ClassVar = ["unit_cost"]


class StockTransferSerializer(StrictModelSerializer):
    """Stock moving from one branch to another; `status` changes through the actions only."""

    from_branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects)
    to_branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects)
    lines = StockTransferLineSerializer(many=True, allow_empty=False)

    class Meta:
        model = StockTransfer
        fields: ClassVar = [
            "id",
            "from_branch",
            "to_branch",
            "status",
            "reference",
            "lines",
            "created_by",
            "sent_at",
            "received_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar = [
            "id",
            "status",
            "created_by",
            "sent_at",
            "received_at",
            "created_at",
            "updated_at",
        ]

    def validate_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return resolve_line_products(
            [{"product": line["product_id"], "quantity": line["quantity"]} for line in lines]
        )
