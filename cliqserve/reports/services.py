"""Writes of the reports domain: keeping the sales rollups current (ADR 0007).

`rollups_refresh` runs from Celery beat: it folds the sales journal (BusinessDayChange) into
the rollups, replacing each changed branch-day whole from the sales rows, then deletes the
journal rows it read. Those rows are read before the sales are, so anything committed later
has a journal row of its own, left for the next run: the rollups never miss a change.
`rollups_rebuild` recomputes a tenant's rollups from scratch (`manage.py rebuild_rollups`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterator
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from cliqserve.core.tenancy import tenant_scope
from cliqserve.sales.models import BusinessDayChange
from cliqserve.sales.selectors import sales_activity_span
from cliqserve.tenants.models import Tenant

from . import locks
from .facts import CellKey, DayCut, Figures, SliceKey, compute_cells, day_cut
from .models import Dimension, SalesRollup

REFRESH_BATCH = 1000  # journal rows per run: a few seconds of work at most
REBUILD_CHUNK_DAYS = 31


def rollups_refresh(*, limit: int = REFRESH_BATCH) -> int:
    """Fold up to `limit` journal rows into the rollups. Returns the rows folded (0 when
    another writer is busy); call it again while it returns `limit`."""
    with transaction.atomic():
        if not locks.try_rollup_writer_lock():
            return 0
        changes = locks.claim_journal(limit=limit)
        slices_by_tenant: dict[uuid.UUID, set[SliceKey]] = defaultdict(set)
        for _, tenant_id, branch_id, day in changes:
            slices_by_tenant[tenant_id].add((branch_id, day))
        for tenant in Tenant.objects.filter(pk__in=slices_by_tenant):
            with tenant_scope(tenant.pk):
                _replace_slices(tenant=tenant, cut=day_cut(tenant=tenant), slices=slices_by_tenant[tenant.pk])
        locks.release_journal(ids=[change[0] for change in changes])
    return len(changes)


def rollups_rebuild(*, tenant: Tenant) -> int:
    """Recompute every rollup row of `tenant` from its sales; returns the rows written."""
    written = 0
    with transaction.atomic(), tenant_scope(tenant.pk):
        locks.wait_rollup_writer_lock()
        # Journal rows committed from here on stay and are folded in by the next refresh.
        BusinessDayChange.objects.filter(tenant=tenant).delete()
        SalesRollup.objects.filter(tenant=tenant).delete()
        cut = day_cut(tenant=tenant)
        for slices in _all_slices(tenant=tenant, cut=cut):
            written += _insert_cells(
                tenant=tenant, cells=compute_cells(tenant=tenant, cut=cut, slices=slices)
            )
    return written


def _replace_slices(*, tenant: Tenant, cut: DayCut, slices: Collection[SliceKey]) -> None:
    cells = compute_cells(tenant=tenant, cut=cut, slices=slices)
    days_by_branch: dict[uuid.UUID, list[date]] = defaultdict(list)
    for branch_id, day in slices:
        days_by_branch[branch_id].append(day)
    stale = Q(pk__in=[])
    for branch_id, days in days_by_branch.items():
        stale |= Q(branch_id=branch_id, business_day__in=days)
    # Naming every dimension lets the unique index (tenant, dimension, day, ...) find the rows.
    SalesRollup.objects.filter(tenant=tenant, dimension__in=Dimension.values).filter(stale).delete()
    _insert_cells(tenant=tenant, cells=cells)


def _insert_cells(*, tenant: Tenant, cells: dict[CellKey, Figures]) -> int:
    rows = [
        SalesRollup(
            tenant=tenant,
            branch_id=branch_id,
            business_day=day,
            dimension=dimension,
            key=key,
            **figures.as_dict(),
        )
        for (branch_id, day, dimension, key), figures in cells.items()
    ]
    SalesRollup.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _all_slices(*, tenant: Tenant, cut: DayCut) -> Iterator[set[SliceKey]]:
    """Every branch-day a branch sold or refunded on, a month at a time."""
    for branch_id in cut.zones:
        span = sales_activity_span(tenant=tenant, branch_id=branch_id)
        if span is None:
            continue
        first, last = (cut.day_of(branch_id, moment) for moment in span)
        while first <= last:
            end = min(first + timedelta(days=REBUILD_CHUNK_DAYS - 1), last)
            yield {(branch_id, first + timedelta(days=offset)) for offset in range((end - first).days + 1)}
            first = end + timedelta(days=1)
