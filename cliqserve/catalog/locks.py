"""Every row lock the catalog takes, one small named function each; nothing else in the
catalog spells `select_for_update`.

Order: a catalog write takes the tenant's change counter (`lock_catalog_counter`) first and
holds it until commit, so the tenant's catalog writes run one at a time. An import job's row
(`lock_job`) is locked alone, in its own short transaction, never while holding the counter.
"""

from __future__ import annotations

from typing import Any

from cliqserve.core.models import Job

from .models import CatalogCounter


def lock_catalog_counter(*, tenant_id: Any) -> CatalogCounter:
    """The tenant's catalog change counter, created on first use, locked until the writing
    transaction commits (call it inside that transaction: sequence.py checks)."""
    # unscoped() is safe: the row is selected by the caller's own tenant id.
    counter, _ = CatalogCounter.objects.unscoped().select_for_update().get_or_create(tenant_id=tenant_id)
    return counter


def lock_job(*, job_id: Any) -> Job | None:
    """The job row, locked until the caller's transaction ends; None if there is none (in the
    current tenant scope)."""
    return Job.objects.select_for_update().filter(pk=job_id).first()
