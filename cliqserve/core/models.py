"""Background jobs that clients follow: status, progress and row-level errors."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from .tenancy import TenantOwnedModel

MAX_STORED_ERRORS = 1000


class Job(TenantOwnedModel):
    """A long-running piece of work started over the API (a CSV import) and run by Celery."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    kind = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The input travels with the job, so any worker on any machine can run it.
    payload = models.TextField(blank=True, default="")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, column, message}], first 1000.")
    detail = models.CharField(max_length=500, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["tenant", "created_at"], name="job_tenant_created")]

    def add_errors(self, errors: list[dict[str, Any]]) -> None:
        room = MAX_STORED_ERRORS - len(self.errors)
        if room > 0:
            self.errors = [*self.errors, *errors[:room]]
