"""Celery tasks of the reports domain: the rollup refresh, export jobs and the sweep of old export
files."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.core.errors import DomainError
from cliqserve.core.models import Job
from cliqserve.core.tenancy import tenant_scope

from .exports import export_files_sweep, report_export_fail, report_export_run
from .models import ReportExport
from .services import REFRESH_BATCH, rollups_refresh

logger = logging.getLogger("cliqserve.reports.exports")
MAX_BATCHES_PER_RUN = 20


@shared_task(acks_late=True)
def refresh_rollups() -> int:
    """Beat: fold the sales journal into the rollups, a batch at a time, for a bounded while
    (the next beat carries on). Returns the journal rows folded."""
    folded = 0
    for _batch_number in range(MAX_BATCHES_PER_RUN):
        batch = rollups_refresh()
        folded += batch
        if batch < REFRESH_BATCH:
            break
    return folded


@shared_task(acks_late=True)
def run_report_export(job_id: str) -> None:
    # unscoped() is safe: one row, by the id the API handed out; its tenant becomes the scope.
    tenant_id = Job.objects.unscoped().filter(pk=job_id).values_list("tenant_id", flat=True).first()
    if tenant_id is None:
        return
    with tenant_scope(tenant_id):
        try:
            report_export_run(job_id=job_id)
        except DomainError as exc:
            # A rule said no when the job ran (the actor lost the role or the branch): the
            # job fails with that reason; nothing to retry.
            report_export_fail(job_id=job_id, detail=exc.detail)
        except Exception:
            logger.exception("report export failed", extra={"job_id": job_id})
            report_export_fail(job_id=job_id, detail=_("The export stopped on an internal error."))
            raise


@shared_task(acks_late=True)
def sweep_report_exports() -> int:
    """Beat, hourly: delete export files past EXPORT_FILE_TTL, tenant by tenant."""
    now = timezone.now()
    # unscoped(): only which tenants have expired files (ids, no data); each is then swept in
    # its own scope.
    tenant_ids = set(
        ReportExport.objects.unscoped()
        .filter(expires_at__lte=now)
        .exclude(file="")
        .values_list("tenant_id", flat=True)
        .distinct()
    )
    deleted = 0
    for tenant_id in tenant_ids:
        with tenant_scope(tenant_id):
            deleted += export_files_sweep(tenant_id=tenant_id, now=now)
    logger.info("export files swept", extra={"deleted": deleted})
    return deleted
