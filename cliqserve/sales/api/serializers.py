from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from rest_framework import serializers

from cliqserve.core.api.fields import AmountField
from cliqserve.core.api.serializers import StrictSerializer

from ..models import Payment, PaymentMethod, Sale, SaleLine

MAX_LINES = 500
MAX_PAYMENTS = 20


# --- Input ------------------------------------------------------------------------------------


class SaleLineInputSerializer(StrictSerializer):
    product = serializers.UUIDField()
    quantity = serializers.DecimalField(
        max_digits=14, decimal_places=3, help_text="More than zero; up to 3 decimals."
    )
    discount_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        help_text="Line discount in percent. Above the tenant's cashier limit only a branch manager "
        "or tenant admin may give it.",
    )
    unit_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        required=False,
        min_value=Decimal(0),
        help_text="Overrides the catalog price; only a branch manager or tenant admin may change it.",
    )


class PaymentInputSerializer(StrictSerializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        help_text="Positive, in the tenant's currency. Cash may exceed what is due.",
    )
    reference = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class SaleCreateSerializer(StrictSerializer):
    shift = serializers.UUIDField(help_text="The open shift of the device the sale is rung up on.")
    # The stubs do not know ListSerializer's max_length (DRF 3.14+).
    lines = SaleLineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)  # type: ignore[call-arg]
    payments = PaymentInputSerializer(many=True, max_length=MAX_PAYMENTS)  # type: ignore[call-arg]


# --- Output -----------------------------------------------------------------------------------


class SaleLineSerializer(serializers.ModelSerializer[SaleLine]):
    unit_price = AmountField()
    discount = AmountField(help_text="The line's discount amount.")
    tax = AmountField()
    net = AmountField(help_text="After discount, before tax.")
    total = AmountField(help_text="What the customer pays for the line.")

    class Meta:
        model = SaleLine
        fields: ClassVar = [
            "id",
            "position",
            "product",
            "sku",
            "name",
            "quantity",
            "unit_price",
            "price_overridden",
            "discount_percent",
            "discount",
            "tax_rate",
            "tax_inclusive",
            "tax",
            "net",
            "total",
            "refunded_quantity",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    amount = AmountField()

    class Meta:
        model = Payment
        fields: ClassVar = ["method", "amount", "reference"]
        read_only_fields = fields


class SaleSerializer(serializers.ModelSerializer[Sale]):
    lines = SaleLineSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    subtotal = AmountField(help_text="Sum of price x quantity over the lines, as prices are stated.")
    discount_total = AmountField()
    tax_total = AmountField()
    total = AmountField(help_text="What the customer pays: the sum of the line totals.")
    paid = AmountField()
    change_due = AmountField()
    refunded_total = AmountField()

    class Meta:
        model = Sale
        fields: ClassVar = [
            "id",
            "receipt_number",
            "status",
            "origin",
            "client_id",
            "shift",
            "device",
            "branch",
            "cashier",
            "sold_at",
            "created_at",
            "currency",
            "lines",
            "payments",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "paid",
            "change_due",
            "refunded_total",
            "needs_review",
            "review_reasons",
            "voided_at",
            "void_reason",
        ]
        read_only_fields = fields
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "review_reasons": {"help_text": "Why an offline sale needs a manager's look, if it does."},
        }
