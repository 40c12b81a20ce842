"""Product imports as background jobs: accepted at once (202), run by a Celery worker."""

from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.core.errors import InvalidInput
from cliqserve.core.models import Job
from cliqserve.core.tasks import enqueue_on_commit

from .csv_io import count_rows, import_row, iter_rows, parse_header, report_error
from .locks import lock_job
from .services import products_import

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

logger = logging.getLogger("cliqserve.catalog.imports")

PRODUCT_IMPORT = "product_import"
BATCH_SIZE = 200


def decode_upload(raw: bytes) -> str:
    if len(raw) > settings.IMPORT_MAX_BYTES:
        raise InvalidInput(
            _("The file is larger than %(limit)s bytes.") % {"limit": settings.IMPORT_MAX_BYTES},
            pointer="/file",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(_("The file is not UTF-8 text."), pointer="/file") from exc
    # PostgreSQL text cannot hold one: the job would never be stored. No CSV text has one.
    if "\x00" in text:
        raise InvalidInput(
            _("The file contains a NUL character (byte 0): it is not CSV text."), pointer="/file"
        )
    return text


@transaction.atomic
def product_import_start(*, tenant: Tenant, actor: User, text: str) -> Job:
    """Check the upload's shape now (so a wrong file fails at once), queue the rows for later."""
    parse_header(text)
    total = count_rows(text)
    if total == 0:
        raise InvalidInput(_("The file has a header but no rows."), pointer="/file")
    if total > settings.IMPORT_MAX_ROWS:
        raise InvalidInput(
            _("The file has %(rows)s rows; the limit is %(limit)s.")
            % {"rows": total, "limit": settings.IMPORT_MAX_ROWS},
            pointer="/file",
        )
    job = Job.objects.create(tenant=tenant, kind=PRODUCT_IMPORT, created_by=actor, payload=text, total=total)
    from .tasks import run_product_import  # tasks import this module

    enqueue_on_commit(run_product_import, str(job.pk))
    return job


def _claim(job_id: str) -> Job | None:
    """Mark the job running; None if it is already finished (a redelivered task)."""
    with transaction.atomic():
        job = lock_job(job_id=job_id)
        if job is None or job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED):
            return None
        job.status, job.started_at = Job.Status.RUNNING, job.started_at or timezone.now()
        job.done = job.succeeded = job.failed = 0
        job.errors = []
        job.save(
            update_fields=["status", "started_at", "done", "succeeded", "failed", "errors", "updated_at"]
        )
        return job


def product_import_run(*, job_id: str) -> None:
    """Import every row, a batch per transaction, updating progress after each batch.

    Safe to run again after a crash: rows create or update by sku, so a repeat converges.
    Call inside the job's tenant scope.
    """
    job = _claim(job_id)
    if job is None:
        return
    rows = iter_rows(job.payload)
    actor = job.created_by
    tenant = job.tenant
    while batch := list(itertools.islice(rows, BATCH_SIZE)):
        import_rows = [
            import_row(number, row, default_language=tenant.default_language) for number, row in batch
        ]
        succeeded, errors = products_import(tenant=tenant, actor=actor, rows=import_rows)
        job.done += len(batch)
        job.succeeded += succeeded
        job.failed += len({error.row for error in errors})
        job.add_errors([report_error(error).as_dict() for error in errors])
        job.save(update_fields=["done", "succeeded", "failed", "errors", "updated_at"])
    job.status, job.finished_at, job.payload = Job.Status.SUCCEEDED, timezone.now(), ""
    job.save(update_fields=["status", "finished_at", "payload", "updated_at"])
    logger.info(
        "product import finished",
        extra={"job_id": str(job.pk), "rows": job.total, "succeeded": job.succeeded, "failed": job.failed},
    )
