"""The per-tenant catalog change sequence (see catalog/models.py for why it is not a clock)."""

from __future__ import annotations

from django.db import transaction

from .models import CatalogCounter


def _locked_counter(*, tenant_id: object, caller: str) -> CatalogCounter:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{caller}() must run inside the writing transaction")
    counter, _ = CatalogCounter.objects.unscoped().select_for_update().get_or_create(tenant_id=tenant_id)
    # unscoped() is safe: the row is selected by the caller's own tenant id.
    return counter


def next_change_seq(*, tenant_id: object) -> int:
    """Take the tenant's next catalog change number. Must run inside the writing transaction:
    the counter row stays locked until it commits, so numbers commit in order."""
    counter = _locked_counter(tenant_id=tenant_id, caller="next_change_seq")
    counter.value += 1
    counter.save(update_fields=["value", "updated_at"])
    return counter.value


def next_change_seq_block(*, tenant_id: object, count: int) -> range:
    """Take the tenant's next `count` catalog change numbers at once, for a bulk write that
    numbers each of its rows: two queries instead of two per row, under the same lock as
    next_change_seq() (held until the writing transaction commits).

    `count=0` takes the lock and no number, so a batch can read what its checks rely on
    under the lock before it knows how many rows it will write.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    counter = _locked_counter(tenant_id=tenant_id, caller="next_change_seq_block")
    first = counter.value + 1
    if count:
        counter.value += count
        counter.save(update_fields=["value", "updated_at"])
    return range(first, first + count)
