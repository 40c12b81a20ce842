"""Writes of the reports domain: keeping the sales rollups current (ADR 0007).

`rollups_refresh` runs from Celery beat: it folds the sales journal (BusinessDayChange) into
the rollups, replacing each changed branch-day whole from the sales rows, then deletes the
journal rows it read. Those rows are read before the sales are, so anything committed later
has a journal row of its own, left for the next run: the rollups never miss a change.
`rollups_rebuild` recomputes a tenant's rollups from scratch (`manage.py rebuild_rollups`).
Both keep the monthly rollups equal to the sum of the daily ones in the same transaction
(ADR 0008).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterator
from datetime import date, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from cliqserve.core.tenancy import tenant_scope
from cliqserve.sales.models import BusinessDayChange
from cliqserve.sales.selectors import sales_activity_span
from cliqserve.tenants.models import Tenant

from . import locks, sql
from .facts import CellKey, DayCut, Figures, SliceKey, compute_cells, day_cut
from .models import Dimension, MonthlySalesRollup, SalesRollup

REFRESH_BATCH = 1000  # journal rows per run: a few seconds of work at most
REBUILD_CHUNK_DAYS = 31
REBUILD_BATCH = 2000
FIGURE_NAMES = ("sale_count", "quantity", "gross_sales", "discounts", "refunds", "tax", "cogs")


def rollups_refresh(*, limit: int = REFRESH_BATCH) -> int:
    """Fold up to `limit` journal rows into the rollups. Returns the rows folded (0 when
    another writer is busy); call it again while it returns `limit`."""
    with sql.custom_plans():  # a transaction; its time windows planned for their own dates
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
    """Recompute every rollup row of `tenant` from its sales; returns the daily rows written."""
    written = 0
    with sql.custom_plans(), tenant_scope(tenant.pk):
        locks.wait_rollup_writer_lock()
        # Journal rows committed from here on stay and are folded in by the next refresh.
        BusinessDayChange.objects.filter(tenant=tenant).delete()
        SalesRollup.objects.filter(tenant=tenant).delete()
        MonthlySalesRollup.objects.filter(tenant=tenant).delete()
        cut = day_cut(tenant=tenant)
        for slices in _all_slices(tenant=tenant, cut=cut):
            written += _insert_cells(
                tenant=tenant, cells=compute_cells(tenant=tenant, cut=cut, slices=slices)
            )
        _sum_months(tenant=tenant)
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
    replaced = SalesRollup.objects.filter(tenant=tenant, dimension__in=Dimension.values).filter(stale)
    old_cells = {
        (branch_id, day, dimension, key): Figures(*figures)
        for branch_id, day, dimension, key, *figures in replaced.values_list(
            "branch_id", "business_day", "dimension", "key", *FIGURE_NAMES
        )
    }
    replaced.delete()
    _insert_cells(tenant=tenant, cells=cells)
    _add_to_months(tenant=tenant, removed=old_cells, added=cells)


MonthKey = tuple[uuid.UUID, date, str, str]  # (branch id, first day of the month, dimension, key)


def _add_to_months(*, tenant: Tenant, removed: dict[CellKey, Figures], added: dict[CellKey, Figures]) -> None:
    """Add to the monthly rollups what replacing the daily rows changed, then delete the
    monthly rows no daily row adds to any more."""
    changes = _month_changes(removed=removed, added=added)
    sql.add_to_monthly_rollups(
        tenant_id=tenant.pk,
        changes=[
            sql.MonthChange(branch_id, month, dimension, key, days, figures)
            for (branch_id, month, dimension, key), (days, figures) in changes.items()
            if days or not figures.is_zero()  # a day replaced by the same figures changes nothing
        ],
    )
    if any(days < 0 for days, _ in changes.values()):
        emptied = Q(pk__in=[])
        for branch_id, month in {(branch_id, month) for branch_id, month, _, _ in changes}:
            emptied |= Q(branch_id=branch_id, month=month)
        rows = MonthlySalesRollup.objects.filter(tenant=tenant, dimension__in=Dimension.values, days=0)
        rows.filter(emptied).delete()


def _month_changes(
    *, removed: dict[CellKey, Figures], added: dict[CellKey, Figures]
) -> dict[MonthKey, tuple[int, Figures]]:
    """Per monthly row: daily rows gained (negative: lost) and the figures' difference."""
    changes: dict[MonthKey, tuple[int, Figures]] = {}
    for cells, sign in ((added, 1), (removed, -1)):
        for (branch_id, day, dimension, key), figures in cells.items():
            month_key = (branch_id, day.replace(day=1), dimension, key)
            days, total = changes.get(month_key, (0, Figures()))
            total.add(figures if sign > 0 else figures.negated())
            changes[month_key] = (days + sign, total)
    return changes


def _sum_months(*, tenant: Tenant) -> None:
    """The monthly rollups of `tenant`, summed from its daily rows (after a rebuild)."""
    months = (
        SalesRollup.objects.filter(tenant=tenant)
        .annotate(month=TruncMonth("business_day"))
        .order_by()
        .values("branch_id", "month", "dimension", "key")
        .annotate(days=Count("id"), **{name: Sum(name) for name in FIGURE_NAMES})
    )
    batch: list[MonthlySalesRollup] = []
    for row in months.iterator(chunk_size=5000):
        batch.append(MonthlySalesRollup(tenant=tenant, **row))
        if len(batch) == REBUILD_BATCH:
            MonthlySalesRollup.objects.bulk_create(batch)
            batch = []
    MonthlySalesRollup.objects.bulk_create(batch)


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
    SalesRollup.objects.bulk_create(rows, batch_size=REBUILD_BATCH)
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
