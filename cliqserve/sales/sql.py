"""Hand-written SQL of the checkout's hot path, and nothing else (ADR 0003).

Each statement here replaced an ORM query that cost more to compile than PostgreSQL spent
running it (bench/README.md has the figures): the products of a cart with their tax rate and
receipt name, and the device's receipt counter. Table and column names come from the models
and this module; every value is a bound parameter. The locks written as SQL (the shift a sale
locks) are in locks.py, with every other row lock of sales.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from cliqserve.catalog.models import Product, ProductTranslation, TaxRate

from .models import ReceiptSequence

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant


def db_value(model: Any, field_name: str, value: Any) -> Any:
    """`value` of `model.field_name` as raw SQL must bind it (on SQLite a UUID is 32 hex digits)."""
    return model._meta.get_field(field_name).get_db_prep_value(value, connection)


def attached(model: Any, row: Any, prefix: str, columns: Sequence[str]) -> Any:
    """A `model` instance from the `<prefix>_<column>` columns of a raw row (booleans and ids
    come back raw on SQLite: converted here as Model.raw converts the row's own columns)."""
    values = {}
    for column in columns:
        field = model._meta.get_field(column.removesuffix("_id"))
        value = getattr(row, f"{prefix}_{column}")
        values[column] = field.to_python(value) if value is not None else None
    # from_db() takes the values in the model's field order, whatever order the names are in.
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


# --- The cart's products ----------------------------------------------------------------------------

# Only the columns of a product's tax rate that a sale reads.
_TAX_RATE_COLUMNS = ("id", "tenant_id", "rate", "inclusive")


def products_for(*, tenant: Tenant, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The products with their tax rate and their name in the tenant's language (else the
    first other), in one read written as SQL for the reason locks.shift_for_selling gives: the
    ORM's select_related + correlated Subquery costs more to build than to run."""
    tax_rate_columns = ", ".join(f"tax_rate.{column} AS tax_rate_{column}" for column in _TAX_RATE_COLUMNS)
    in_ids = ", ".join(["%s"] * len(ids))
    # Table and column names from the models and this module; every value is a bound parameter.
    sql = f"""
        SELECT product.*, {tax_rate_columns},
               (SELECT name.name FROM {ProductTranslation._meta.db_table} AS name
                WHERE name.master_id = product.id
                ORDER BY name.language_code <> %s, name.language_code
                LIMIT 1) AS receipt_name
        FROM {Product._meta.db_table} AS product
        LEFT JOIN {TaxRate._meta.db_table} AS tax_rate ON tax_rate.id = product.tax_rate_id
        WHERE product.tenant_id = %s AND product.id IN ({in_ids})
    """  # noqa: S608  # nosec B608
    params = [
        tenant.default_language,
        db_value(Product, "tenant", tenant.pk),
        *(db_value(Product, "id", product_id) for product_id in ids),
    ]
    products = {}
    for product in Product.objects.raw(sql, params):
        if product.tax_rate_id is not None:
            product.tax_rate = attached(TaxRate, product, "tax_rate", _TAX_RATE_COLUMNS)
        products[product.pk] = product
    return products


# --- The device's receipt counter ---------------------------------------------------------------


def next_receipt_counter(*, tenant: Tenant, device_id: uuid.UUID) -> int:
    """The device's next receipt number: the counter row is created at 1 with its first sale,
    else incremented, and stays row-locked until the sale commits (ADR 0003)."""
    return _upsert_counter(tenant=tenant, device_id=device_id, first=1, on_conflict="{table}.last_number + 1")


def raise_receipt_counter(*, tenant: Tenant, device_id: uuid.UUID, number: int) -> int:
    """Move the device's counter to `number` unless it is already past it (offline numbers)."""
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    return _upsert_counter(
        tenant=tenant,
        device_id=device_id,
        first=number,
        on_conflict=f"{greatest}({{table}}.last_number, excluded.last_number)",
    )


def _upsert_counter(*, tenant: Tenant, device_id: uuid.UUID, first: int, on_conflict: str) -> int:
    """INSERT the device's counter at `first`, or set it to `on_conflict`; the number it holds."""
    table = ReceiptSequence._meta.db_table
    now = timezone.now()
    # Table name from the model and a fixed SQL expression from this module; values are bound.
    sql = f"""
        INSERT INTO {table} (id, tenant_id, device_id, last_number, created_at, updated_at)
        VALUES (%s, %s, %s, %s, %s, %s)
        ON CONFLICT (tenant_id, device_id)
        DO UPDATE SET last_number = {on_conflict.format(table=table)}, updated_at = excluded.updated_at
        RETURNING last_number
    """  # noqa: S608  # nosec B608
    params = [
        db_value(ReceiptSequence, "id", uuid.uuid4()),
        db_value(ReceiptSequence, "tenant", tenant.pk),
        db_value(ReceiptSequence, "device", device_id),
        first,
        now,
        now,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (number,) = cursor.fetchone()
    return int(number)
