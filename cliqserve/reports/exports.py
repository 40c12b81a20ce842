"""Exports as jobs: POST /api/v1/exports/ answers 202 with a job; a Celery worker writes the
report's table to a CSV or XLSX file in the `exports` storage; the finished job carries an
expiring `download_url`.

The registry `EXPORT_REPORTS` maps a report name to a function `(*, tenant, actor, params) ->
Table`; `params` is the report's query, validated by the API (its query serializer) and stored
on the job as JSON. Each function checks the actor's branch scope again when the job runs, so a
manager moved to another branch meanwhile exports only what it may read now.

Download links: with local files, a link to GET /api/v1/exports/{id}/download/?token=... signed
with a TimestampSigner (valid EXPORT_LINK_TTL seconds, for that one file, no bearer token
needed); with an S3-compatible bucket, the bucket's own presigned URL with the same lifetime.
Files are deleted EXPORT_FILE_TTL seconds after they were written (`export_files_sweep`).
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from datetime import date, datetime, timedelta
from typing import IO, TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from cliqserve.core import audit
from cliqserve.core.errors import DomainError, InvalidInput, NotPermitted
from cliqserve.core.models import Job
from cliqserve.core.roles import Role
from cliqserve.core.tasks import enqueue_on_commit
from cliqserve.core.tenancy import tenant_scope

from .audit_trail import AuditFilters, audit_events_table
from .models import ReportExport, export_storage
from .movements import MovementFilters, stock_movements_table
from .policies import report_branch_ids
from .selectors import sales_report, sales_report_table
from .stock import stock_report_table
from .tabular import Column, Table, csv_lines, safe_rows

if TYPE_CHECKING:
    from django.http import HttpRequest

    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

logger = logging.getLogger("cliqserve.reports.exports")

REPORT_EXPORT = "report_export"
PROGRESS_EVERY = 500
LINK_SALT = "cliqserve.reports.export-download"


class ReportTable(Protocol):
    def __call__(self, *, tenant: Tenant, actor: User, params: Mapping[str, Any]) -> Table: ...


# --- The registry: one line per report --------------------------------------------------------


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _stock_movements(*, tenant: Tenant, actor: User, params: Mapping[str, Any]) -> Table:
    filters = MovementFilters(
        branch_id=_uuid(params.get("branch")),
        product_id=_uuid(params.get("product")),
        kind=params.get("kind") or None,
        date_from=_date(params.get("from")),
        date_to=_date(params.get("to")),
    )
    return stock_movements_table(tenant=tenant, actor=actor, filters=filters)


def _sales(*, tenant: Tenant, actor: User, params: Mapping[str, Any]) -> Table:
    report = sales_report(
        tenant=tenant,
        branch_ids=report_branch_ids(actor=actor, branch_id=_uuid(params.get("branch"))),
        date_from=date.fromisoformat(params["from"]),
        date_to=date.fromisoformat(params["to"]),
        group_by=params.get("group_by", "day"),
    )
    return sales_report_table(report)


def _stock(*, tenant: Tenant, actor: User, params: Mapping[str, Any]) -> Table:
    return stock_report_table(
        tenant=tenant,
        branch_ids=report_branch_ids(actor=actor, branch_id=_uuid(params.get("branch"))),
        category_id=_uuid(params.get("category")),
        low=bool(params.get("low")),
        unsold_days=params.get("unsold_days"),
    )


def _audit_events(*, tenant: Tenant, actor: User, params: Mapping[str, Any]) -> Table:
    filters = AuditFilters(
        actor_id=_uuid(params.get("actor")),
        action=params.get("action") or None,
        object_type=params.get("object_type") or None,
        object_id=params.get("object_id") or None,
        at_from=_instant(params.get("from")),
        at_to=_instant(params.get("to")),
    )
    return audit_events_table(tenant=tenant, filters=filters)


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


EXPORT_REPORTS: dict[str, ReportTable] = {
    "sales": _sales,
    "stock": _stock,
    "stock_movements": _stock_movements,
    "audit_events": _audit_events,
}
# Reports not every report reader may export: the audit trail is the tenant admin's alone.
EXPORT_ROLES: dict[str, frozenset[str]] = {"audit_events": frozenset({Role.TENANT_ADMIN})}


# --- Errors ------------------------------------------------------------------------------------


class ExportLinkInvalid(DomainError):
    """The link is not one we handed out (tampered, for another file) or its file is gone."""

    status_code = 404
    code = "not_found"
    default_detail = "Not found."


class ExportLinkExpired(DomainError):
    status_code = 403
    code = "permission_denied"
    default_detail = "This download link has expired; fetch the job again for a new one."


# --- Starting and running ----------------------------------------------------------------------


@transaction.atomic
def report_export_start(
    *, tenant: Tenant, actor: User, report: str, params: Mapping[str, Any], file_format: str
) -> Job:
    """Queue an export of `report` (its `params` already validated) as a `file_format` file."""
    if report not in EXPORT_REPORTS:
        raise InvalidInput(_("This report cannot be exported yet."), pointer="/report")
    if actor.role not in EXPORT_ROLES.get(report, frozenset({actor.role})):
        raise NotPermitted(_("Only the tenant admin may export this report."), pointer="/report")
    # Refused now (403), not as a failed job later, when a manager names another branch.
    report_branch_ids(actor=actor, branch_id=_uuid(params.get("branch")))
    payload = json.dumps({"report": report, "format": file_format, "params": dict(params)})
    job = Job.objects.create(tenant=tenant, kind=REPORT_EXPORT, created_by=actor, payload=payload)
    ReportExport.objects.create(tenant=tenant, job=job, report=report, format=file_format)
    audit.record(
        action="data_exported",
        tenant_id=tenant.pk,
        actor=actor,
        target=job,
        object_repr=report,
        changes={"report": [None, report], "format": [None, file_format], "params": [None, dict(params)]},
    )
    from .tasks import run_report_export  # tasks import this module

    enqueue_on_commit(run_report_export, str(job.pk))
    return job


def _claim(job_id: str) -> bool:
    """Mark the job running; False if it is already finished (a redelivered task)."""
    claimed = Job.objects.filter(pk=job_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), done=0, updated_at=timezone.now()
    )
    return claimed == 1


def report_export_run(*, job_id: str) -> None:
    """Write the export's file and finish its job. Call inside the job's tenant scope.

    Safe to run again after a crash: it writes a new file and points the export at it.
    """
    if not _claim(job_id):
        return
    export = ReportExport.objects.select_related("job__created_by", "tenant").get(job_id=job_id)
    job = export.job
    spec = json.loads(job.payload)
    table = EXPORT_REPORTS[export.report](tenant=export.tenant, actor=job.created_by, params=spec["params"])
    job.total = len(table.rows) if isinstance(table.rows, Sized) else 0
    job.save(update_fields=["total", "updated_at"])
    counted = Table(columns=table.columns, rows=_with_progress(table.rows, job))
    stamp = timezone.now()
    filename = f"{export.report}-{stamp:%Y%m%d-%H%M%S}.{export.format}"
    with tempfile.TemporaryFile() as scratch:
        WRITERS[export.format](counted, scratch, export.report)
        scratch.seek(0)
        name = export_storage().save(f"exports/{export.tenant_id}/{export.pk}/{filename}", File(scratch))
    finished = timezone.now()
    export.file.name, export.rows = name, job.done
    export.expires_at = finished + timedelta(seconds=settings.EXPORT_FILE_TTL)
    export.save(update_fields=["file", "rows", "expires_at", "updated_at"])
    job.status, job.finished_at, job.total = Job.Status.SUCCEEDED, finished, max(job.total, job.done)
    job.succeeded = job.done
    job.save(update_fields=["status", "finished_at", "total", "done", "succeeded", "updated_at"])
    logger.info("report exported", extra={"job_id": str(job.pk), "report": export.report, "rows": job.done})


def report_export_fail(*, job_id: str, detail: str) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.FAILED, detail=detail[:500], finished_at=timezone.now(), updated_at=timezone.now()
    )


def _with_progress(rows: Iterable[Sequence[Any]], job: Job) -> Iterator[Sequence[Any]]:
    for row in rows:
        yield row
        job.done += 1
        if job.done % PROGRESS_EVERY == 0:
            job.save(update_fields=["done", "updated_at"])


# --- Writing files ------------------------------------------------------------------------------


def write_csv(table: Table, out: IO[bytes], title: str) -> None:
    for line in csv_lines(table):
        out.write(line.encode("utf-8"))


def write_xlsx(table: Table, out: IO[bytes], title: str) -> None:
    """A write-only workbook (rows are streamed to disk, not held): numbers as numbers, text as
    text with formula-like cells escaped (the same `safe_rows` as CSV)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "report")
    sheet.append(table.header)
    for row in safe_rows(table):
        sheet.append([_xlsx_cell(value, column) for value, column in zip(row, table.columns, strict=True)])
    workbook.save(out)


def _xlsx_cell(value: Any, column: Column) -> Any:
    if value == "":
        return None
    if isinstance(value, str):
        # XML 1.0 cannot hold most control characters; openpyxl refuses them.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


WRITERS: dict[str, Callable[[Table, IO[bytes], str], None]] = {
    ReportExport.Format.CSV: write_csv,
    ReportExport.Format.XLSX: write_xlsx,
}


# --- Download links -----------------------------------------------------------------------------


def export_download_url(export: ReportExport, *, request: HttpRequest | None = None) -> str | None:
    """A link to the export's file valid EXPORT_LINK_TTL seconds from now; None without a file."""
    if not export.file or (export.expires_at is not None and export.expires_at <= timezone.now()):
        return None
    storage = export_storage()
    if getattr(storage, "querystring_auth", False):
        # An S3-compatible bucket: its own presigned URL, served by the bucket.
        filename = export.file.name.rsplit("/", 1)[-1]
        disposition = {"ResponseContentDisposition": f'attachment; filename="{filename}"'}
        # S3Storage.url(name, parameters, expire): beyond Django's Storage.url signature.
        presign = cast("Callable[..., str]", storage.url)
        return presign(export.file.name, parameters=disposition, expire=settings.EXPORT_LINK_TTL)
    token = signing.TimestampSigner(salt=LINK_SALT).sign(f"{export.tenant_id}:{export.pk}")
    path = reverse("report-export-download", args=[export.pk]) + "?" + urlencode({"token": token})
    return request.build_absolute_uri(path) if request is not None else path


def export_download_links(jobs: Sequence[Job], request: HttpRequest | None) -> dict[uuid.UUID, str]:
    """Links for the finished export jobs among `jobs` (one query): the jobs endpoint's hook."""
    finished = [job.pk for job in jobs if job.status == Job.Status.SUCCEEDED]
    if not finished:
        return {}
    exports = ReportExport.objects.filter(tenant_id=jobs[0].tenant_id, job_id__in=finished)
    links: dict[uuid.UUID, str] = {}
    for export in exports:
        url = export_download_url(export, request=request)
        if url is not None:
            links[export.job_id] = url
    return links


def export_from_token(*, export_id: uuid.UUID, token: str) -> ReportExport:
    """The export a download link names, if the link is genuine, current and for this file."""
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=settings.EXPORT_LINK_TTL)
    except signing.SignatureExpired as exc:
        raise ExportLinkExpired(
            _("This download link has expired; fetch the job again for a new one.")
        ) from exc
    except signing.BadSignature as exc:
        raise ExportLinkInvalid(_("Not found.")) from exc
    tenant_id, _sep, signed_id = value.partition(":")
    if signed_id != str(export_id):
        raise ExportLinkInvalid(_("Not found."))
    with tenant_scope(tenant_id):
        export = ReportExport.objects.filter(tenant_id=tenant_id, pk=export_id).first()
    if export is None or export_download_url(export) is None:
        raise ExportLinkInvalid(_("Not found."))
    return export


def export_file_open(export: ReportExport) -> IO[bytes]:
    handle: IO[bytes] = export_storage().open(export.file.name, "rb")
    return handle


# --- Old files ------------------------------------------------------------------------------------


def export_files_sweep(*, tenant_id: uuid.UUID, now: Any = None) -> int:
    """Delete the tenant's export files past their `expires_at` (the rows stay, without a file).
    Call inside the tenant's scope. Returns how many files were deleted."""
    now = now or timezone.now()
    storage = export_storage()
    expired = ReportExport.objects.filter(tenant_id=tenant_id, expires_at__lte=now).exclude(file="")
    deleted = 0
    for export in expired.only("pk", "file"):
        storage.delete(export.file.name)
        ReportExport.objects.filter(tenant_id=tenant_id, pk=export.pk).update(file="", updated_at=now)
        deleted += 1
    return deleted
