"""Read-only aggregates of the sales domain (rollups) and the files reports are exported to."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.files.storage import Storage, storages
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


class RollupFigures(TenantOwnedModel):
    """The figures a rollup row sums: what `reports.facts.Figures` holds."""

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
        abstract = True


class SalesRollup(RollupFigures):
    """The report figures of one branch's business day, per dimension and key.

    Derived data: `manage.py rebuild_rollups` can recreate every row from the sales, and a
    row is replaced whole whenever the sales journal says its day changed (ADR 0007).
    """

    business_day = models.DateField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                "tenant", "dimension", "business_day", "branch", "key", name="sales_rollup_unique"
            ),
        ]


class MonthlySalesRollup(RollupFigures):
    """The sum of one branch's daily rollup rows of a calendar month (of business days), per
    dimension and key: what a long report reads for its whole months, a thirtieth of the rows.

    Kept equal to that sum in the same transaction that replaces daily rows (ADR 0008): the
    writer adds each day's change to it, and `days` counts the daily rows summed, so a row
    whose daily rows are all gone (a voided sale's product) is deleted, as the daily one is.
    """

    month = models.DateField(help_text="The first day of the month.")
    # Plain integers, not positive ones: PostgreSQL checks a CHECK constraint on the row an
    # upsert proposes before it finds the conflict, and sql.py proposes the change itself,
    # which is negative when a day lost sales. The sums themselves never go below zero.
    days = models.IntegerField(default=0)
    sale_count = models.IntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            # Columns, not expressions: the upsert in sql.py names them as its conflict target.
            models.UniqueConstraint(
                fields=["tenant", "dimension", "month", "branch", "key"], name="monthly_sales_rollup_unique"
            ),
        ]


# --- Report exports: the files export jobs write (cliqserve/reports/exports.py) ---------------


def export_storage() -> Storage:
    """The `exports` storage (config/settings/base.py): local files, or an S3-compatible bucket."""
    return storages["exports"]


def export_file_name(instance: ReportExport, filename: str) -> str:
    return f"exports/{instance.tenant_id}/{instance.pk}/{filename}"


class ReportExport(TenantOwnedModel):
    """One export job's file: which report, in which format, and until when it is kept."""

    class Format(models.TextChoices):
        CSV = "csv"
        XLSX = "xlsx"

    job = models.OneToOneField("core.Job", on_delete=models.CASCADE, related_name="report_export")
    report = models.CharField(max_length=40)
    format = models.CharField(max_length=4, choices=Format.choices)
    file = models.FileField(storage=export_storage, upload_to=export_file_name, max_length=300, blank=True)
    rows = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When the file is deleted (EXPORT_FILE_TTL after it was written)."
    )

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["expires_at"], condition=~models.Q(file=""), name="reportexport_expiring")
        ]

    def __str__(self) -> str:
        return f"{self.report}.{self.format}"
