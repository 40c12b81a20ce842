"""Shifts, their cash movements and their Z report. Amounts are strings with exactly the
tenant currency's decimals (AmountField; the view puts `currency` in the context)."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from cliqserve.core.api.fields import AmountField
from cliqserve.core.api.serializers import StrictModelSerializer, StrictSerializer
from cliqserve.core.money import MONEY_PLACES

from ..models import CashMovement, PaymentMethod, Shift


def money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=MONEY_PLACES, **kwargs)


# --- Shifts -----------------------------------------------------------------------------------


class ShiftOpenSerializer(StrictSerializer):
    device = serializers.UUIDField(
        help_text="The device whose drawer opens: a cashier's must be assigned to it (and be the device "
        "its token names, if any); a branch manager's must be in its branch."
    )
    opening_cash = money(min_value=0, help_text="The float in the drawer; at most the currency's decimals.")


class ShiftCloseSerializer(StrictSerializer):
    counted_cash = money(
        min_value=0, help_text="The cash counted in the drawer; at most the currency's decimals."
    )


class ShiftSerializer(serializers.ModelSerializer[Shift]):
    opening_cash = AmountField(help_text="The float the drawer was opened with.")
    counted_cash = AmountField(allow_null=True, help_text="The cash counted at close; null while open.")
    expected_cash = AmountField(
        allow_null=True,
        help_text="What the drawer should have held at close (the report's `expected_cash` then); "
        "null while open.",
    )
    variance = AmountField(
        allow_null=True,
        help_text="`counted_cash` - `expected_cash` at close (negative: cash missing); null while open.",
    )

    class Meta:
        model = Shift
        fields: ClassVar = [
            "id",
            "status",
            "device",
            "branch",
            "cashier",
            "opened_at",
            "opening_cash",
            "closed_at",
            "closed_by",
            "counted_cash",
            "expected_cash",
            "variance",
        ]
        read_only_fields = fields
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "cashier": {"help_text": "Who opened the shift."},
            "closed_by": {"help_text": "Who closed it."},
        }


# --- Cash movements ---------------------------------------------------------------------------


class CashMovementSerializer(StrictModelSerializer):
    """Cash put into (`pay_in`) or taken out of (`pay_out`) an open shift's drawer, outside a
    sale. Written with `kind`, `amount` and `reason`; the other fields are read-only."""

    amount = AmountField(
        read_only=False,
        help_text="Greater than zero, at most the currency's decimals. A pay-out may not exceed the "
        "cash the drawer should hold now (`expected_cash` of the shift's report).",
    )

    class Meta:
        model = CashMovement
        fields: ClassVar = ["id", "shift", "kind", "amount", "reason", "actor", "created_at"]
        read_only_fields: ClassVar = ["id", "shift", "actor", "created_at"]
        extra_kwargs: ClassVar[dict[str, Any]] = {"reason": {"help_text": "Why the cash moves; required."}}


# --- The Z report -----------------------------------------------------------------------------


class ShiftReportCountTotalSerializer(serializers.Serializer[object]):
    count = serializers.IntegerField()
    total = AmountField(help_text="Sum of their totals.")


class ShiftReportMethodSerializer(serializers.Serializer[object]):
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    sales = AmountField(
        help_text="Taken for the shift's sales that were not voided; for cash, net of the change given."
    )
    refunds = AmountField(help_text="Paid out for the refunds paid from this shift.")
    net = AmountField(help_text="`sales` - `refunds`.")


class ShiftReportMovementsSerializer(serializers.Serializer[object]):
    pay_in = AmountField(source="pay_in_total", help_text="Sum of the pay-ins.")
    pay_out = AmountField(source="pay_out_total", help_text="Sum of the pay-outs.")
    count = serializers.IntegerField(source="cash_movement_count", help_text="Pay-ins and pay-outs.")


class ShiftReportSerializer(serializers.Serializer[object]):
    """The Z report of a shift, computed from its rows whenever it is read (open or closed).

    Sales figures cover the shift's sales that were not voided; a voided sale counts only under
    `voids`. Refunds count on the shift whose drawer paid them, whichever shift the sale was on.
    """

    shift = ShiftSerializer(
        help_text="The shift itself; its `expected_cash` and `variance` are the figures stored at close."
    )
    opened_at = serializers.DateTimeField(source="shift.opened_at")
    closed_at = serializers.DateTimeField(source="shift.closed_at", allow_null=True)
    opening_cash = AmountField(source="totals.opening_cash", help_text="The float in the drawer at opening.")
    sale_count = serializers.IntegerField(source="totals.sale_count", help_text="Sales not voided.")
    gross = AmountField(
        source="totals.gross",
        help_text="Sum of the sales' subtotals: price x quantity as the catalog states prices (tax "
        "included for tax-inclusive prices, excluded otherwise), before discounts.",
    )
    discounts = AmountField(source="totals.discounts", help_text="Sum of the sales' discounts.")
    tax = AmountField(source="totals.tax", help_text="Sum of the sales' tax, inclusive and exclusive.")
    sales_total = AmountField(
        source="totals.sales_total",
        help_text="What the customers were charged: the sum of the sale totals (`gross` - `discounts` "
        "+ tax on tax-exclusive prices).",
    )
    net_sales = AmountField(
        source="totals.net_sales",
        help_text="What the sales earned: `sales_total` - `tax`, i.e. after discounts, without tax, "
        "before refunds.",
    )
    refunds = ShiftReportCountTotalSerializer(
        source="totals.refunds",
        help_text="Refunds paid from this shift (whichever shift the sale was on): how many, and the "
        "sum of their totals.",
    )
    voids = ShiftReportCountTotalSerializer(
        source="totals.voids",
        help_text="Sales of this shift that were voided: how many, and the sum of their totals.",
    )
    payment_methods = ShiftReportMethodSerializer(
        source="totals.methods", many=True, help_text="One row per payment method: cash, card, other."
    )
    cash_movements = ShiftReportMovementsSerializer(source="totals", help_text="Pay-ins and pay-outs.")
    expected_cash = AmountField(
        source="totals.expected_cash",
        help_text="What the drawer should hold, from the rows as they are now: `opening_cash` + cash "
        "`sales` (net of change) - cash `refunds` + `pay_in` - `pay_out`.",
    )
    counted_cash = AmountField(
        source="shift.counted_cash", allow_null=True, help_text="Counted at close; null while open."
    )
    variance = AmountField(
        allow_null=True,
        help_text="`counted_cash` - `expected_cash` (negative: cash missing); null while open. It "
        "differs from the shift's stored `variance` only if rows were added after the close (an "
        "offline sale synced late).",
    )
