from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from cliqserve.core.api.fields import AmountField
from cliqserve.core.api.serializers import StrictSerializer

from ..models import Refund, RefundLine, RefundPayment
from .serializers import PaymentInputSerializer

# --- Input ------------------------------------------------------------------------------------


class RefundLineInputSerializer(StrictSerializer):
    sale_line = serializers.UUIDField(help_text="A line of the sale being refunded (its `lines[].id`).")
    quantity = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        help_text="More than zero; at most what was sold less what was already refunded.",
    )


class RefundCreateSerializer(StrictSerializer):
    lines: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=RefundLineInputSerializer(), allow_empty=False, max_length=500
    )
    restock = serializers.BooleanField(
        default=False,
        help_text="Put the refunded units back into stock at the cost the sale captured.",
    )
    payments: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=PaymentInputSerializer(),
        required=False,
        max_length=20,
        help_text="How the money goes back; must add up to the refund total. A card or other "
        "refund may not exceed what that method paid less earlier refunds. Omitted: back to the "
        "sale's methods, card first, then other, then cash.",
    )
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    shift = serializers.UUIDField(
        required=False,
        help_text="The open shift of the sale's branch whose drawer pays out cash. Default: the open "
        "shift of the caller's device, else of the sale's device. A cashier's refund pays out of "
        "its own shift only.",
    )
    approval = serializers.CharField(
        required=False,
        max_length=128,
        help_text="A manager's approval (POST /api/v1/auth/approvals/, action `refund`): a cashier "
        "refunds its own sale with one.",
    )


class VoidSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=200, help_text="Why the sale is voided.")
    approval = serializers.CharField(
        required=False,
        max_length=128,
        help_text="A manager's approval (action `void`), which a cashier needs where the tenant's "
        "`cashier_voids_need_approval` is on.",
    )


# --- Output -----------------------------------------------------------------------------------


class RefundLineSerializer(serializers.ModelSerializer[RefundLine]):
    product = serializers.UUIDField(source="sale_line.product_id", read_only=True)
    gross = AmountField(help_text="The refunded share of the line's price x quantity.")
    discount = AmountField()
    tax = AmountField()
    total = AmountField(help_text="What goes back to the customer for the line.")

    class Meta:
        model = RefundLine
        fields: ClassVar = ["sale_line", "product", "quantity", "gross", "discount", "tax", "total"]
        read_only_fields = fields


class RefundPaymentSerializer(serializers.ModelSerializer[RefundPayment]):
    amount = AmountField()

    class Meta:
        model = RefundPayment
        fields: ClassVar = ["method", "amount", "reference"]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer[Refund]):
    lines = RefundLineSerializer(many=True, read_only=True)
    payments = RefundPaymentSerializer(many=True, read_only=True)
    subtotal = AmountField(help_text="Sum of the lines' gross.")
    discount_total = AmountField()
    tax_total = AmountField()
    total = AmountField(help_text="What goes back to the customer: the sum of the line totals.")

    class Meta:
        model = Refund
        fields: ClassVar = [
            "id",
            "sale",
            "shift",
            "actor",
            "lines",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "payments",
            "restock",
            "reason",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs: ClassVar = {
            "shift": {"help_text": "The shift whose drawer paid out the cash; null when none applied."},
            "actor": {"help_text": "Who recorded the refund."},
        }
