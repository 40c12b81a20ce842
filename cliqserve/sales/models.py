"""Cash-drawer shifts, sales with their lines and payments, refunds, and receipt numbering.

Amounts are in the tenant's currency, quantized to its minor unit per line (ARCHITECTURE §4);
every total on a sale or refund is the sum of its rounded lines. What a line was sold at — the
price, tax rate, discount and the moving-average cost — is captured on the line, so later
catalog or cost changes never rewrite history.

Rows here are written once and only a few columns ever change afterwards: a shift's closing
figures, a sale's status, review flags and review, and a sale line's refunded quantity.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cliqserve.core.money import cost_field, money_field, quantity_field
from cliqserve.core.tenancy import TenantOwnedModel


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    OTHER = "other", _("Other")


class Shift(TenantOwnedModel):
    """One cashier's session at one device's cash drawer, from opening float to counted cash."""

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    branch = models.ForeignKey("tenants.Branch", on_delete=models.PROTECT, related_name="shifts")
    device = models.ForeignKey("tenants.Device", on_delete=models.PROTECT, related_name="shifts")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    opening_cash = money_field()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Figures as they stood when the drawer was counted. The Z report recomputes expected
    # cash from the rows, so an offline sale synced after closing shows up there (flagged).
    counted_cash = money_field(null=True, blank=True)
    expected_cash = money_field(null=True, blank=True)
    variance = money_field(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            # One open shift per device, enforced by the database: two opens racing get one 201.
            models.UniqueConstraint(
                "tenant", "device", condition=Q(status="open"), name="shift_one_open_per_device"
            ),
            models.CheckConstraint(condition=Q(opening_cash__gte=0), name="shift_opening_cash_not_negative"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["tenant", "device", "opened_at"], name="shift_device_opened"),
            models.Index(fields=["tenant", "branch", "opened_at"], name="shift_branch_opened"),
        ]


class CashMovement(TenantOwnedModel):
    """Cash put into (pay-in) or taken out of (pay-out) the drawer outside a sale."""

    class Kind(models.TextChoices):
        PAY_IN = "pay_in"
        PAY_OUT = "pay_out"

    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="cash_movements")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = money_field()
    reason = models.CharField(max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cash_movement_amount_positive"),
        ]
        indexes: ClassVar = [models.Index(fields=["tenant", "shift"], name="cash_movement_shift")]


class ReceiptSequence(TenantOwnedModel):
    """The last receipt number handed out on a device. Incremented in the sale's transaction,
    so a sale that rolls back gives its number back: numbers are gapless per device."""

    device = models.ForeignKey("tenants.Device", on_delete=models.CASCADE, related_name="+")
    last_number = models.BigIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint("tenant", "device", name="receipt_sequence_one_per_device"),
        ]


class Sale(TenantOwnedModel):
    class Status(models.TextChoices):
        COMPLETED = "completed"
        PARTIALLY_REFUNDED = "partially_refunded"
        REFUNDED = "refunded"
        VOIDED = "voided"

    class Origin(models.TextChoices):
        ONLINE = "online"
        OFFLINE = "offline"

    branch = models.ForeignKey("tenants.Branch", on_delete=models.PROTECT, related_name="sales")
    device = models.ForeignKey("tenants.Device", on_delete=models.PROTECT, related_name="sales")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="sales")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales")
    receipt_number = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COMPLETED)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.ONLINE)
    # Offline sales carry the device's own UUID: the deduplication key, kept forever.
    client_id = models.UUIDField(null=True, blank=True)
    sold_at = models.DateTimeField(default=timezone.now, help_text="The device's time for offline sales.")
    currency = models.CharField(max_length=3)
    subtotal = money_field(help_text="Sum of the lines' price x quantity, as the catalog states prices.")
    discount_total = money_field()
    tax_total = money_field()
    total = money_field(help_text="What the customer pays: sum of the line totals.")
    paid = money_field()
    change_due = money_field()
    cost_total = cost_field(help_text="Cost of goods sold: sum of the lines' captured cost.")
    refunded_total = money_field(default=0)
    needs_review = models.BooleanField(default=False)
    review_reasons = models.JSONField(default=list, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(max_length=200, blank=True, default="")
    # A manager's review of a flagged (offline) sale clears `needs_review` and keeps its
    # `review_reasons`; who, when and why stay here (services/review.py).
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                "tenant", "device", "receipt_number", name="sale_receipt_unique_per_device"
            ),
            models.UniqueConstraint(
                "tenant", "client_id", condition=Q(client_id__isnull=False), name="sale_client_id_unique"
            ),
            models.CheckConstraint(condition=Q(paid__gte=F("total")), name="sale_paid_covers_total"),
            models.CheckConstraint(condition=Q(change_due__gte=0), name="sale_change_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_total__lte=F("total")), name="sale_refunds_within_total"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["tenant", "shift"], name="sale_shift"),
            models.Index(fields=["tenant", "branch", "sold_at"], name="sale_branch_sold_at"),
            models.Index(fields=["tenant", "sold_at"], name="sale_sold_at"),
        ]


class SaleLine(TenantOwnedModel):
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    # The product's category when it was sold, so "sales by category" never moves when a
    # product is recategorised later (like the price, tax and cost captured below).
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    quantity = quantity_field()
    unit_price = money_field()
    price_overridden = models.BooleanField(default=False)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    tax_inclusive = models.BooleanField(default=False)
    gross = money_field()
    discount = money_field()
    net = money_field()
    tax = money_field()
    total = money_field()
    unit_cost = cost_field(help_text="Moving-average cost per unit at the moment of sale.")
    refunded_quantity = quantity_field(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint("tenant", "sale", "position", name="sale_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sale_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(refunded_quantity__gte=0) & Q(refunded_quantity__lte=F("quantity")),
                name="sale_line_refund_within_quantity",
            ),
        ]


class Payment(TenantOwnedModel):
    """Money tendered for a sale. Cash may exceed what is due; the sale's `change_due` says how
    much went back, so the cash a sale left in the drawer is its cash payments minus change."""

    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="payments")
    method = models.CharField(max_length=8, choices=PaymentMethod.choices)
    amount = money_field()
    reference = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes: ClassVar = [models.Index(fields=["tenant", "sale"], name="payment_sale")]


class Refund(TenantOwnedModel):
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="refunds")
    # The open shift whose drawer paid out the cash (None when nothing went back in cash and no
    # shift was open on the device).
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200, blank=True, default="")
    restock = models.BooleanField(default=False)
    subtotal = money_field()
    discount_total = money_field()
    tax_total = money_field()
    total = money_field()
    cost_total = cost_field()

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["tenant", "sale"], name="refund_sale"),
            models.Index(fields=["tenant", "shift"], name="refund_shift"),
        ]


class RefundLine(TenantOwnedModel):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    sale_line = models.ForeignKey(SaleLine, on_delete=models.PROTECT, related_name="refund_lines")
    quantity = quantity_field()
    gross = money_field()
    discount = money_field()
    tax = money_field()
    total = money_field()
    unit_cost = cost_field()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="refund_line_quantity_positive"),
        ]


class RefundPayment(TenantOwnedModel):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="payments")
    method = models.CharField(max_length=8, choices=PaymentMethod.choices)
    amount = money_field()
    reference = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_payment_amount_positive"),
        ]


class BusinessDayChange(TenantOwnedModel):
    """Journal: a sale, a void or a refund changed this branch's figures for this business day.

    Written in the same transaction as the change, as a plain insert (no row is ever updated,
    so tills never queue behind each other here). The reports domain reads it to know which
    days its pre-aggregated rollups do not yet include, and deletes the rows it has folded in
    (docs/adr/0007-report-rollups.md). Late offline sales, voids and refunds of old sales
    land here like any other change: the journal is keyed by business day, not by arrival.
    """

    branch = models.ForeignKey("tenants.Branch", on_delete=models.CASCADE, related_name="+", db_index=False)
    business_day = models.DateField()

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["tenant", "business_day", "branch"], name="day_change_tenant_day"),
        ]
