"""Read-only aggregates of the sales domain (rollups) and the files reports are exported to."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from cliqserve.core.money import MONEY_PLACES, QUANTITY_PLACES
from cliqserve.core.tenancy import TenantOwnedModel


def _sum_field() -> models.DecimalField[Any, Any]:
    # A day's sum of many lines: wider than one line's column.
    return models.DecimalField(max_digits=20, decimal_places=MONEY_PLACES, default=0)


class Dimension(models.TextChoices):
    """What a rollup row is keyed by, besides its business day and branch. Each sale adds to
    one row of every dimension (to one row per distinct product, category or payment method
    it has), so the rows of one dimension add up to the day's totals, sale counts included."""

    DAY = "day"  # key "": the whole branch-day; also answers week, month and branch
    HOUR = "hour"  # key "00".."23" on the branch's wall clock
    DEVICE = "device"
    CASHIER = "cashier"
    PRODUCT = "product"
    CATEGORY = "category"  # key "" for products without a category
    PAYMENT_METHOD = "payment_method"


class SalesRollup(TenantOwnedModel):
    """The report figures of one branch's business day, per dimension and key.

    Derived data: `manage.py rebuild_rollups` can recreate every row from the sales, and a
    row is replaced whole whenever the sales journal says its day changed (ADR 0007).
    """

    business_day = models.DateField()
    branch = models.ForeignKey("tenants.Branch", on_delete=models.CASCADE, related_name="+", db_index=False)
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    key = models.CharField(max_length=64, blank=True, default="")
    sale_count = models.PositiveIntegerField(default=0)
    quantity = models.DecimalField(max_digits=20, decimal_places=QUANTITY_PLACES, default=0)
    gross_sales = _sum_field()
    discounts = _sum_field()
    refunds = _sum_field()
    tax = _sum_field()
    cogs = _sum_field()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                "tenant", "dimension", "business_day", "branch", "key", name="sales_rollup_unique"
            ),
        ]
