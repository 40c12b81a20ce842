"""Stock per branch, and the append-only ledger every change to it goes through.

Invariant: for every (branch, product), `StockLevel.quantity` equals the sum of its
`StockMovement.quantity` values. Services change both in one transaction, under a lock on the
level rows taken in a fixed order; `manage.py verify_stock` checks the invariant.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cliqserve.core.money import cost_field, quantity_field
from cliqserve.core.tenancy import TenantOwnedModel


class StockLevel(TenantOwnedModel):
    branch = models.ForeignKey("tenants.Branch", on_delete=models.PROTECT, related_name="stock_levels")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="stock_levels")
    quantity = quantity_field(default=0)
    average_cost = cost_field(default=0, help_text="Moving-average unit cost.")
    reorder_level = quantity_field(default=0)
    # Set when the low-stock notice for the current dip below reorder_level has gone out;
    # cleared when stock rises above it again, so each crossing notifies once.
    low_stock_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                "tenant", "branch", "product", name="stocklevel_unique_per_branch_product"
            ),
            models.CheckConstraint(
                condition=Q(average_cost__gte=0), name="stocklevel_average_cost_not_negative"
            ),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["tenant", "branch"],
                condition=Q(quantity__lte=F("reorder_level")),
                name="stocklevel_low",
            )
        ]


class StockMovement(TenantOwnedModel):
    """One change of stock. Never updated, never deleted: corrections are new movements."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt"
        SALE = "sale"
        REFUND = "refund"
        VOID = "void"
        ADJUSTMENT = "adjustment"
        COUNT = "count"
        TRANSFER_OUT = "transfer_out"
        TRANSFER_IN = "transfer_in"

    branch = models.ForeignKey("tenants.Branch", on_delete=models.PROTECT, related_name="stock_movements")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="stock_movements")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    quantity = quantity_field(help_text="Signed: positive in, negative out.")
    unit_cost = cost_field(default=0)
    reference = models.CharField(max_length=200, blank=True, default="")
    reason = models.CharField(max_length=200, blank=True, default="")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    # Who wrote it when no person did: an integration's key (stock:write); both NULL for the system.
    api_key = models.ForeignKey(
        "accounts.ApiKey", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["tenant", "branch", "product", "created_at"], name="movement_lookup"),
            # Slow movers: the products each branch sold since a date, read from the index alone
            # (a range of one tenant's sales, however long its ledger has grown).
            models.Index(
                # Key columns rather than INCLUDE: SQLite (the embedded default) has no INCLUDE.
                fields=["tenant", "created_at", "branch", "product", "reference"],
                condition=Q(kind="sale"),
                name="movement_sales_by_time",
            ),
            # Whether a sale was voided (void movements are rare, so this index stays small).
            models.Index(fields=["tenant", "reference"], condition=Q(kind="void"), name="movement_void_ref"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Stock movements are append-only; record a correcting movement instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Stock movements are append-only.")


class StockTransfer(TenantOwnedModel):
    class Status(models.TextChoices):
        DRAFT = "draft"
        SENT = "sent"
        RECEIVED = "received"
        CANCELLED = "cancelled"

    from_branch = models.ForeignKey("tenants.Branch", on_delete=models.PROTECT, related_name="transfers_out")
    to_branch = models.ForeignKey("tenants.Branch", on_delete=models.PROTECT, related_name="transfers_in")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    reference = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=~Q(from_branch=F("to_branch")), name="transfer_between_two_branches"
            ),
        ]


class StockTransferLine(TenantOwnedModel):
    transfer = models.ForeignKey(StockTransfer, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity = quantity_field()
    unit_cost = cost_field(default=0, help_text="Average cost at the sending branch, at send.")

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transferline_quantity_positive"),
            models.UniqueConstraint("tenant", "transfer", "product", name="transferline_one_per_product"),
        ]
