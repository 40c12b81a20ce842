"""Isolation and RBAC declarations for CSV import/export and background jobs."""

from __future__ import annotations

from typing import Any

from cliqserve.core.models import Job
from conftest import World
from tests.matrix import Case, ListRoute, ObjectRoute, statuses


def job_of(tenant_world: Any) -> Job:
    job, _ = Job.objects.unscoped().get_or_create(
        tenant=tenant_world.tenant, kind="product_import", created_by=tenant_world.tenant_admin
    )
    return job


OBJECT_ROUTES: dict[str, ObjectRoute] = {
    "job-detail": ObjectRoute(Job, lambda w: job_of(w.b), lambda w: {"status": "failed"}, methods=("get",)),
}
LIST_ROUTES: dict[str, ListRoute] = {
    "job-list": ListRoute(lambda w: {job_of(w.a).pk}, lambda w: {job_of(w.b).pk}),
}
NO_TENANT_ROWS: dict[str, str] = {
    "product-import": "writes into the caller's tenant only; the job it answers is the caller's",
    "product-export": "the caller's tenant only (test_export_holds_only_the_callers_products)",
}


def _job_a(w: World) -> Job:
    return job_of(w.a)


CASES: list[Case] = [
    # A JSON body is the wrong media type: the admin passes the policy and gets 400 invalid_request.
    Case("product-import", "post", statuses(401, 403, 403, 400, 403), body=lambda w: {"sku": "x"}, model=Job),
    Case("product-export", "get", statuses(401, 403, 200, 200, 403)),
    Case("job-list", "get", statuses(401, 200, 200, 200, 403)),
    Case("job-detail", "get", statuses(401, 404, 404, 200, 403), target=_job_a),
]
COVERED_ELSEWHERE: set[str] = set()
