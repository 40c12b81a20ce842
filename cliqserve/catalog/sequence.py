"""The per-tenant catalog change sequence (see catalog/models.py for why it is not a clock)."""

from __future__ import annotations

from django.db import transaction

from .locks import lock_catalog_counter
from .models import CatalogCounter, Category, Product, TaxRate


def _locked_counter(*, tenant_id: object, caller: str) -> CatalogCounter:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{caller}() must run inside the writing transaction")
    return lock_catalog_counter(tenant_id=tenant_id)


def next_change_seq(*, tenant_id: object) -> int:
    """Take the tenant's next catalog change number. Must run inside the writing transaction:
    the counter row stays locked until it commits, so numbers commit in order."""
    counter = _locked_counter(tenant_id=tenant_id, caller="next_change_seq")
    counter.value += 1
    counter.save(update_fields=["value", "updated_at"])
    return counter.value


def renumber(instance: Category | TaxRate | Product, *, tenant_id: object) -> None:
    """Give a catalog row being written the tenant's next change number (see next_change_seq)."""
    instance.change_seq = next_change_seq(tenant_id=tenant_id)


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
