from __future__ import annotations

from decimal import Decimal

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
    approval = serializers.CharField(
        required=False,
        max_length=100,
        help_text="A manager's approval (POST /api/v1/auth/approvals/) letting a cashier give this line's "
        "discount above the limit or price override; spent by this sale.",
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
# Plain Serializers with every field declared, not ModelSerializers: the answer's shape is read
# here, not inferred from the models, and DRF does not introspect three models for every sale
# it renders (about half the serializer's cost on the checkout path; see bench/README.md).


def _id(source: str, help_text: str = "") -> serializers.UUIDField:
    return serializers.UUIDField(source=source, read_only=True, help_text=help_text or None)


def _decimal(max_digits: int, decimal_places: int) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=max_digits, decimal_places=decimal_places, read_only=True)


class SaleLineSerializer(serializers.Serializer[SaleLine]):
    id = serializers.UUIDField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    product = _id("product_id")
    sku = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    quantity = _decimal(14, 3)
    unit_price = AmountField()
    price_overridden = serializers.BooleanField(read_only=True)
    discount_percent = _decimal(5, 2)
    discount = AmountField(help_text="The line's discount amount.")
    tax_rate = _decimal(5, 2)
    tax_inclusive = serializers.BooleanField(read_only=True)
    tax = AmountField()
    net = AmountField(help_text="After discount, before tax.")
    total = AmountField(help_text="What the customer pays for the line.")
    refunded_quantity = _decimal(14, 3)


class PaymentSerializer(serializers.Serializer[Payment]):
    method = serializers.ChoiceField(choices=PaymentMethod.choices, read_only=True)
    amount = AmountField()
    reference = serializers.CharField(read_only=True)


class SaleSerializer(serializers.Serializer[Sale]):
    id = serializers.UUIDField(read_only=True)
    receipt_number = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Sale.Status.choices, read_only=True)
    origin = serializers.ChoiceField(choices=Sale.Origin.choices, read_only=True)
    client_id = serializers.UUIDField(read_only=True, allow_null=True)
    shift = _id("shift_id")
    device = _id("device_id")
    branch = _id("branch_id")
    cashier = _id("cashier_id")
    sold_at = serializers.DateTimeField(read_only=True, help_text="The device's time for offline sales.")
    created_at = serializers.DateTimeField(read_only=True)
    currency = serializers.CharField(read_only=True)
    lines = SaleLineSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    subtotal = AmountField(help_text="Sum of price x quantity over the lines, as prices are stated.")
    discount_total = AmountField()
    tax_total = AmountField()
    total = AmountField(help_text="What the customer pays: the sum of the line totals.")
    paid = AmountField()
    change_due = AmountField()
    refunded_total = AmountField()
    needs_review = serializers.BooleanField(read_only=True)
    review_reasons = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Why an offline sale needs a manager's look, if it does.",
    )
    voided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    void_reason = serializers.CharField(read_only=True)
    reviewed_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When a manager reviewed the flagged sale."
    )
    reviewed_by = serializers.UUIDField(
        source="reviewed_by_id", read_only=True, allow_null=True, help_text="Who reviewed it."
    )
    review_note = serializers.CharField(read_only=True, help_text="The reviewer's note.")
