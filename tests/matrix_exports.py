"""Isolation and RBAC declarations for report exports (POST /api/v1/exports/ and the download).

Exports are for tenant admins and branch managers (a manager its own branch); cashiers and the
platform owner are refused. The download link carries no bearer token: a signed token names the
tenant and the one file, so without it every role (anonymous included) gets 404.
"""

from __future__ import annotations

from typing import Any

from cliqserve.core.models import Job
from cliqserve.reports.exports import REPORT_EXPORT
from cliqserve.reports.models import ReportExport
from conftest import World
from tests.matrix import Case, ListRoute, ObjectRoute, statuses


def _export_body(branch: Any = None) -> dict[str, Any]:
    params = {"branch": str(branch.pk)} if branch is not None else {}
    return {"report": "stock_movements", "format": "csv", "params": params}


def _finished_export(w: World) -> ReportExport:
    """A finished export of tenant A (its file need not exist: the token is checked first)."""
    tenant = w.a.tenant
    existing = ReportExport.objects.unscoped().filter(tenant=tenant).first()
    if existing is not None:
        return existing
    job = Job.objects.unscoped().create(
        tenant=tenant, kind=REPORT_EXPORT, created_by=w.a.tenant_admin, status=Job.Status.SUCCEEDED
    )
    return ReportExport.objects.unscoped().create(
        tenant=tenant, job=job, report="stock_movements", format="csv", file="exports/x/y/report.csv"
    )


OBJECT_ROUTES: dict[str, ObjectRoute] = {}

LIST_ROUTES: dict[str, ListRoute] = {}

NO_TENANT_ROWS: dict[str, str] = {
    "report-export-list": "POST only, answers the job it queued; the branch and product ids in "
    "`params` resolve in the caller's tenant or are 400 (reports test_exports "
    "test_another_tenants_branch_or_product_is_a_bad_parameter); the job is read at "
    "/api/v1/jobs/{id}/, which the core matrix covers",
    "report-export-download": "no bearer token by design: a signed token names the tenant and the "
    "one export, so another id or a tampered token is 404 for anyone (reports test_exports "
    "test_a_tampered_or_borrowed_link_is_not_found; the RBAC row below: no token, 404 for all)",
}

COVERED_ELSEWHERE: set[str] = set()

CASES: list[Case] = [
    Case(
        "report-export-list",
        "post",
        statuses(401, 403, 202, 202, 403),
        body=lambda w: _export_body(),
        model=Job,
    ),
    Case(
        "report-export-list",
        "post",
        statuses(401, 403, 403, 202, 403),
        body=lambda w: _export_body(w.a.other_branch),
        model=Job,
    ),
    Case("report-export-list", "get", statuses(405, 405, 405, 405, 405)),
    Case("report-export-download", "get", statuses(404, 404, 404, 404, 404), target=_finished_export),
    Case(
        "report-export-download",
        "delete",
        statuses(405, 405, 405, 405, 405),
        target=_finished_export,
        model=ReportExport,
    ),
]
