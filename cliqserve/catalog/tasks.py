from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.core.models import Job
from cliqserve.core.tenancy import tenant_scope

from .imports import product_import_run

logger = logging.getLogger("cliqserve.catalog.imports")


@shared_task(acks_late=True)
def run_product_import(job_id: str) -> None:
    # unscoped() is safe: one row, by the id the API handed out; its tenant becomes the scope.
    tenant_id = Job.objects.unscoped().filter(pk=job_id).values_list("tenant_id", flat=True).first()
    if tenant_id is None:
        return
    with tenant_scope(tenant_id):
        try:
            product_import_run(job_id=job_id)
        except Exception:
            # Recorded on the job, so the client following it sees the failure; then re-raised
            # so Celery and Sentry see it too.
            logger.exception("product import failed", extra={"job_id": job_id})
            Job.objects.filter(pk=job_id).update(
                status=Job.Status.FAILED,
                detail=_("The import stopped on an internal error."),
                finished_at=timezone.now(),
            )
            raise
