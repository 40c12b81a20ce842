"""What the back office's pages read, composed from the other domains' selectors.

Every function takes the tenant and the actor and narrows the domain selector (which already
confines the actor to what it may see) to the branches the page covers. The pages never touch
the ORM themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import F, Prefetch, QuerySet
from django.utils.translation import gettext as _

from cliqserve.core.errors import NotPermitted
from cliqserve.inventory import selectors as inventory_selectors
from cliqserve.inventory.models import StockLevel
from cliqserve.reports.policies import report_branch_ids
from cliqserve.sales import selectors as sales_selectors
from cliqserve.sales.models import Refund, Sale, Shift
from cliqserve.sales.shift_report import ShiftReport, shift_report
from cliqserve.tenants import selectors as tenant_selectors
from cliqserve.tenants.models import Branch

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

# How many rows a list page shows (newest first); the pages say so when there are more.
PAGE_ROWS = 100


class BranchNotFound(NotPermitted):
    """An id that is none of the tenant's branches: refused like another branch is, so the
    answer never tells whether the id exists elsewhere."""


@dataclass(frozen=True)
class Scope:
    """The branches a page covers, and the ones its picker offers."""

    branches: list[Branch]
    selected: Branch | None  # None: every branch the actor sees
    branch_ids: list[uuid.UUID] | None  # for the report selectors: None means the whole tenant

    @property
    def covered_ids(self) -> list[uuid.UUID]:
        return [branch.pk for branch in self.branches] if self.branch_ids is None else self.branch_ids


def page_scope(*, tenant: Tenant, actor: User, branch_id: uuid.UUID | None) -> Scope:
    """The branch a page shows: `branch_id` if the actor may see it, else NotPermitted."""
    branch_ids = report_branch_ids(actor=actor, branch_id=branch_id)
    branches = list(tenant_selectors.branch_list(tenant=tenant, actor=actor).order_by("name", "code"))
    selected = None
    if branch_id is not None:
        selected = next((branch for branch in branches if branch.pk == branch_id), None)
        if selected is None:
            raise BranchNotFound(_("There is no such branch."))
    return Scope(branches=branches, selected=selected, branch_ids=branch_ids)


def shift_page(*, tenant: Tenant, actor: User, branch_ids: Sequence[uuid.UUID]) -> list[Shift]:
    shifts = sales_selectors.shift_list(tenant=tenant, actor=actor).filter(branch_id__in=branch_ids)
    return list(
        shifts.select_related("branch", "device", "cashier").order_by("-opened_at", "-id")[:PAGE_ROWS]
    )


def shift_detail(*, tenant: Tenant, actor: User, shift_id: uuid.UUID) -> ShiftReport | None:
    """A shift the actor may see, with its Z report figures; None when there is none."""
    shift = (
        sales_selectors.shift_list(tenant=tenant, actor=actor)
        .select_related("branch", "device", "cashier", "closed_by")
        .filter(pk=shift_id)
        .first()
    )
    return None if shift is None else shift_report(tenant=tenant, shift=shift)


def sales_by_receipt(*, tenant: Tenant, actor: User, receipt_number: str) -> list[Sale]:
    """The sales with this receipt number the actor may see (a number is unique per device),
    with their lines, payments and refunds."""
    refunds = Refund.objects.filter(tenant=tenant).order_by("created_at", "id")
    sales = (
        sales_selectors.sale_list(tenant=tenant, actor=actor)
        .filter(receipt_number=receipt_number.strip())
        .prefetch_related(Prefetch("refunds", queryset=refunds))
    )
    return list(sales.select_related("branch", "device", "cashier").order_by("-sold_at")[:PAGE_ROWS])


def review_queue(*, tenant: Tenant, actor: User, branch_ids: Sequence[uuid.UUID]) -> QuerySet[Sale]:
    """The offline sales flagged for review, oldest first: the order they should be cleared in."""
    sales = sales_selectors.sale_list(tenant=tenant, actor=actor).prefetch_related(None)
    return (
        sales.filter(needs_review=True, branch_id__in=branch_ids)
        .select_related("branch", "device", "cashier")
        .order_by("sold_at", "id")
    )


def reviewable_sale(*, tenant: Tenant, actor: User, sale_id: uuid.UUID) -> Sale | None:
    return sales_selectors.sale_get(tenant=tenant, actor=actor, sale_id=sale_id)


def low_stock(*, tenant: Tenant, actor: User, branch_ids: Sequence[uuid.UUID]) -> list[StockLevel]:
    """Stock at or under its reorder level (a level of 0 means "not watched"), lowest first."""
    levels = inventory_selectors.stock_level_list(tenant=tenant, actor=actor).filter(
        branch_id__in=branch_ids, reorder_level__gt=0, quantity__lte=F("reorder_level")
    )
    return list(levels.select_related("branch", "product").order_by("quantity", "product__sku")[:PAGE_ROWS])
