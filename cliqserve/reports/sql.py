"""Reports' hand-written SQL: adding a day's change to the monthly rollups (ADR 0008), and
asking PostgreSQL to plan report queries for their own parameters.

The ORM's upsert (`bulk_create(update_conflicts=True)`) can only overwrite a column with the
new row's value; the monthly rollups need `column = column + change`, so that the writer adds
the difference a day made without reading the month's rows first. Table names come from the
model's `_meta`; every value is a bound parameter. The statement is the same on PostgreSQL and
on SQLite (3.24 and later), the embedded default.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from .facts import MONEY_FIELDS, Figures
from .models import MonthlySalesRollup

SUMMED_COLUMNS = ("days", "sale_count", "quantity", *MONEY_FIELDS)


@dataclass(frozen=True)
class MonthChange:
    """What one (branch, month, dimension, key) gains: daily rows (+1 added, -1 removed) and
    figures (may be negative)."""

    branch_id: uuid.UUID
    month: date
    dimension: str
    key: str
    days: int
    figures: Figures


# The inserted columns, named by field: each value goes through its field's own conversion for
# the database at hand (SQLite keeps UUIDs as hex text, dates and decimals as strings).
FIELDS = (
    "id",
    "tenant",
    "created_at",
    "updated_at",
    "branch",
    "month",
    "dimension",
    "key",
    *SUMMED_COLUMNS,
)


def add_to_monthly_rollups(*, tenant_id: uuid.UUID, changes: Sequence[MonthChange]) -> None:
    """Add each change to its monthly row, creating the row when there is none. The caller
    holds the rollup writer lock (locks.py), so no other writer adds to the same rows."""
    if not changes:
        return
    meta = MonthlySalesRollup._meta
    fields = [cast("Field[Any, Any]", meta.get_field(name)) for name in FIELDS]
    inserted = ", ".join(field.column for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = meta.db_table
    added = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in SUMMED_COLUMNS)
    # Table and column names come from the model; values are bound parameters.
    sql = f"""
        INSERT INTO {table} ({inserted}) VALUES ({placeholders})
        ON CONFLICT (tenant_id, dimension, month, branch_id, key)
        DO UPDATE SET {added}, updated_at = excluded.updated_at
    """  # noqa: S608  # nosec B608
    now = timezone.now()
    rows = [
        [
            uuid.uuid4(),
            tenant_id,
            now,
            now,
            change.branch_id,
            change.month,
            change.dimension,
            change.key,
            change.days,
            change.figures.sale_count,
            change.figures.quantity,
            *(getattr(change.figures, name) for name in MONEY_FIELDS),
        ]
        for change in changes
    ]
    params = [
        [field.get_db_prep_value(value, connection) for field, value in zip(fields, row, strict=True)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@contextmanager
def custom_plans() -> Iterator[None]:
    """A transaction whose queries PostgreSQL plans for their own parameters every time.

    With prepared statements (DB_PREPARED_STATEMENTS) a query run often enough is planned
    once for any parameters (a generic plan). For a report's ORs of day ranges that plan cannot
    use the dates, and a year by category went from 45 ms to 270 ms after its tenth run
    (bench/README.md). Planning a report query costs well under a millisecond."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield
