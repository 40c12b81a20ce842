"""The business-day change journal (models.BusinessDayChange): which days' figures moved.

Every write that changes a report figure calls `record_day_change` inside its own
transaction: a sale (online or offline, however late), a void, a refund. Changing how days
are cut (a branch's time zone, the tenant's `business_day_ends_at`) marks every day with
activity as changed, so reports fall back to the raw rows until the rollups are rebuilt.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from cliqserve.core.tenancy import tenant_scope
from cliqserve.tenants.business_days import business_day_of
from cliqserve.tenants.models import Branch

from ..models import BusinessDayChange, Sale
from ..selectors import sales_activity_span

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant


def record_day_change(*, tenant: Tenant, branch: Branch, moment: datetime) -> None:
    """Note that `branch`'s figures for the business day of `moment` changed."""
    day = business_day_of(moment, timezone_name=branch.timezone, ends_at=tenant.business_day_ends_at)
    BusinessDayChange.objects.create(tenant=tenant, branch=branch, business_day=day)


def record_day_change_for_sale(*, tenant: Tenant, sale: Sale, moment: datetime) -> None:
    """A change booked on `sale`'s branch (a void on its sale day, a refund on its own day)."""
    branch = Branch.objects.only("timezone").get(tenant=tenant, pk=sale.branch_id)
    record_day_change(tenant=tenant, branch=branch, moment=moment)


def mark_every_day_changed(*, tenant: Tenant, branch_ids: Collection[uuid.UUID] | None = None) -> int:
    """Mark every business day that has sales or refunds (and the day either side, which a new
    cut-off may reach) as changed, for the given branches or all of them. Call it in the
    transaction that changes a time zone or the day's end; returns the rows written."""
    branches = Branch.objects.filter(tenant=tenant)
    if branch_ids is not None:
        branches = branches.filter(pk__in=branch_ids)
    changes = []
    for branch in branches.only("timezone"):
        span = sales_activity_span(tenant=tenant, branch_id=branch.pk)
        if span is None:
            continue
        first, last = (
            business_day_of(moment, timezone_name=branch.timezone, ends_at=tenant.business_day_ends_at)
            for moment in span
        )
        days = _days_between(first, last)
        changes += [BusinessDayChange(tenant=tenant, branch=branch, business_day=day) for day in days]
    BusinessDayChange.objects.bulk_create(changes, batch_size=2000)
    return len(changes)


def _days_between(first: date, last: date) -> list[date]:
    """first - 1 .. last + 1: a new cut-off can move an edge sale onto the day beyond."""
    start = first - timedelta(days=1)
    return [start + timedelta(days=offset) for offset in range((last - first).days + 3)]


def on_business_days_changed(
    sender: object, *, tenant: Tenant, branch_ids: Collection[uuid.UUID] | None, **kwargs: object
) -> None:
    """Receiver of tenants.services.business_days_changed (connected in SalesConfig.ready).
    The platform owner changes tenants without a tenant scope of its own: enter this one."""
    with tenant_scope(tenant.pk):
        mark_every_day_changed(tenant=tenant, branch_ids=branch_ids)
