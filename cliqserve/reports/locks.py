"""The one lock of the reports domain: a single rollup writer at a time.

Refreshing and rebuilding replace a day's rollup rows whole (delete, then insert). Two
writers replacing the same day at once would trip over each other's rows, so they take a
transaction-level advisory lock first; a refresh that finds it taken simply returns (the
next beat runs it). SQLite serialises writers anyway and has no advisory locks.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from django.db import connection

from cliqserve.sales.models import BusinessDayChange

# An arbitrary, fixed 64-bit number naming "the rollup writer" among advisory locks.
ROLLUP_WRITER_LOCK = 7_342_110_011


def try_rollup_writer_lock() -> bool:
    """Inside a transaction: take the writer lock if free; False if another writer holds it."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ROLLUP_WRITER_LOCK])
        (taken,) = cursor.fetchone()
    return bool(taken)


def wait_rollup_writer_lock() -> None:
    """Inside a transaction: wait for the writer lock (a rebuild must not be skipped)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_WRITER_LOCK])


def claim_journal(*, limit: int) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, date]]:
    """Under the writer lock: the oldest journal rows of every tenant, (id, tenant, branch,
    day). Across tenants because the rollup writer is the platform's own maintenance; each
    tenant's days are then recomputed inside that tenant's scope."""
    rows = BusinessDayChange.objects.unscoped().order_by("created_at")
    return list(rows.values_list("pk", "tenant_id", "branch_id", "business_day")[:limit])


def release_journal(*, ids: Sequence[uuid.UUID]) -> None:
    """Under the writer lock: forget the journal rows whose days were recomputed."""
    BusinessDayChange.objects.unscoped().filter(pk__in=ids).delete()
