"""Read-only aggregates of the sales domain (rollups) and the files reports are exported to."""

from __future__ import annotations

from typing import ClassVar

from django.core.files.storage import Storage, storages
from django.db import models

from cliqserve.core.tenancy import TenantOwnedModel

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
