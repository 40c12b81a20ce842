"""The per-tenant catalog change sequence (see catalog/models.py for why it is not a clock)."""

from __future__ import annotations

from django.db import transaction

from .models import CatalogCounter


def next_change_seq(*, tenant_id: object) -> int:
    """Take the tenant's next catalog change number. Must run inside the writing transaction:
    the counter row stays locked until it commits, so numbers commit in order."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_change_seq() must run inside the writing transaction")
    counter, _ = CatalogCounter.objects.unscoped().select_for_update().get_or_create(tenant_id=tenant_id)
    # unscoped() is safe: the row is selected by the caller's own tenant id.
    counter.value += 1
    counter.save(update_fields=["value", "updated_at"])
    return counter.value
