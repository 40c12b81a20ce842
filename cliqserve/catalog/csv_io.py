"""Products to and from CSV: parsing an upload, importing rows, exporting the catalog.

The columns round-trip: what the export writes, the import reads back.

    sku, barcode, price, category, tax_rate, track_stock, is_active,
    name, description                       (in the tenant's default language)
    name_<lang>, description_<lang>         (en, es, fr)
    custom.<key>                            (custom product fields)

`category` and `tax_rate` name the row by its name (case-insensitively) or id. A row creates
the product with its sku, or updates the one that has it, so re-running an import is safe.
Each row runs in its own savepoint: a bad row is reported with its number and column and
never stops the good ones.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower

from cliqserve.core.errors import DomainError, InvalidInput

from . import services
from .custom_fields import CustomFieldsInvalid
from .models import Category, Product, TaxRate

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

BASE_COLUMNS = (
    "sku",
    "barcode",
    "price",
    "category",
    "tax_rate",
    "track_stock",
    "is_active",
    "name",
    "description",
)
REQUIRED_COLUMNS = frozenset({"sku", "price"})
CUSTOM_PREFIX = "custom."
TRUE, FALSE = {"1", "true", "yes", "y"}, {"0", "false", "no", "n"}
# Cells a spreadsheet would run as a formula (CSV injection): exported with a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def language_columns() -> tuple[str, ...]:
    return tuple(f"{field}_{code}" for code, _name in settings.LANGUAGES for field in ("name", "description"))


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


# --- Parsing ------------------------------------------------------------------------------------


def parse_header(text: str) -> list[str]:
    """Check the header of an upload; raises InvalidInput on /file naming what is wrong."""
    reader = csv.reader(io.StringIO(text))
    header = [column.strip() for column in next(reader, [])]
    if not header or header == [""]:
        raise InvalidInput("The file is empty.", pointer="/file")
    known = set(BASE_COLUMNS) | set(language_columns())
    unknown = [c for c in header if c not in known and not c.startswith(CUSTOM_PREFIX)]
    if unknown:
        raise InvalidInput(f"Unknown columns: {', '.join(unknown)}.", pointer="/file")
    if len(set(header)) != len(header):
        raise InvalidInput("A column appears twice.", pointer="/file")
    missing = REQUIRED_COLUMNS - set(header)
    if missing:
        raise InvalidInput(f"Missing columns: {', '.join(sorted(missing))}.", pointer="/file")
    return header


def iter_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the header is line 1."""
    reader = csv.DictReader(io.StringIO(text), skipinitialspace=True)
    for row in reader:
        if any((value or "").strip() for value in row.values()):
            yield reader.line_num, {key.strip(): (value or "").strip() for key, value in row.items() if key}


def count_rows(text: str) -> int:
    return sum(1 for _ in iter_rows(text))


# --- Importing --------------------------------------------------------------------------------


class _Lookups:
    """Categories and tax rates by lower-cased name or id: read once per batch, not per row."""

    def __init__(self, tenant: Tenant) -> None:
        self.categories = self._index(Category.objects.filter(tenant=tenant, is_active=True))
        self.tax_rates = self._index(TaxRate.objects.filter(tenant=tenant, is_active=True))

    @staticmethod
    def _index(rows: Iterable[Category | TaxRate]) -> dict[str, Any]:
        index: dict[str, Any] = {}
        for row in rows:
            index[row.name.strip().lower()] = row
            index[str(row.pk)] = row
        return index


def _boolean(value: str, column: str) -> bool:
    lowered = value.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise InvalidInput(f"Write true or false, not {value!r}.", pointer=f"/{column}")


def _reference(value: str, index: dict[str, Any], column: str) -> Any:
    found = index.get(value.lower()) or index.get(value)
    if found is None:
        raise InvalidInput(f"No active {column.replace('_', ' ')} is called {value!r}.", pointer=f"/{column}")
    return found


def _fields(row: dict[str, str], lookups: _Lookups) -> dict[str, Any]:
    fields: dict[str, Any] = {"sku": row["sku"], "price": row["price"]}
    for column in ("barcode",):
        if column in row:
            fields[column] = row[column]
    for column in ("track_stock", "is_active"):
        if row.get(column):
            fields[column] = _boolean(row[column], column)
    if "category" in row:
        fields["category"] = (
            _reference(row["category"], lookups.categories, "category") if row["category"] else None
        )
    if "tax_rate" in row:
        fields["tax_rate"] = (
            _reference(row["tax_rate"], lookups.tax_rates, "tax_rate") if row["tax_rate"] else None
        )
    return fields


def _translations(row: dict[str, str], default_language: str) -> dict[str, dict[str, str]]:
    translations: dict[str, dict[str, str]] = {}
    for code, _name in settings.LANGUAGES:
        name = row.get(f"name_{code}") or (row.get("name", "") if code == default_language else "")
        description = row.get(f"description_{code}") or (
            row.get("description", "") if code == default_language else ""
        )
        if name:
            translations[code] = {"name": name, "description": description}
    return translations


def _custom_fields(row: dict[str, str]) -> dict[str, Any]:
    return {
        key[len(CUSTOM_PREFIX) :]: value
        for key, value in row.items()
        if key.startswith(CUSTOM_PREFIX) and value
    }


def _existing_products(*, tenant: Tenant, rows: list[tuple[int, dict[str, str]]]) -> dict[str, Product]:
    """The batch's products that already exist, by lower-cased sku, in one indexed query."""
    skus = {row["sku"].lower() for _number, row in rows if row.get("sku")}
    products = Product.objects.alias(sku_lower=Lower("sku")).filter(tenant=tenant, sku_lower__in=skus)
    return {product.sku.lower(): product for product in products}


def _import_row(
    *, tenant: Tenant, actor: User, row: dict[str, str], lookups: _Lookups, existing: dict[str, Product]
) -> None:
    if not row.get("sku"):
        raise InvalidInput("A sku is required.", pointer="/sku")
    fields = _fields(row, lookups)
    translations = _translations(row, tenant.default_language)
    custom = _custom_fields(row)
    product = existing.get(row["sku"].lower())
    if product is None:
        product = services.product_create(
            tenant=tenant, actor=actor, translations=translations, custom_fields=custom, **fields
        )
        existing[row["sku"].lower()] = product  # a later row of the batch with this sku updates it
    else:
        services.product_update(
            tenant=tenant,
            actor=actor,
            product=product,
            translations=translations,
            custom_fields=custom,
            **fields,
        )


def _column_of(pointer: str | None) -> str | None:
    """/price -> price; /custom_fields/size -> custom.size; /translations/es/name -> name_es."""
    parts = [part for part in (pointer or "").split("/") if part]
    if not parts:
        return None
    if parts[0] == "custom_fields" and len(parts) > 1:
        return CUSTOM_PREFIX + parts[1]
    if parts[0] == "translations" and len(parts) > 2:
        return f"{parts[2]}_{parts[1]}"
    return parts[0]


def _errors_of(number: int, exc: DomainError) -> list[RowError]:
    if isinstance(exc, CustomFieldsInvalid):
        return [RowError(number, CUSTOM_PREFIX + key, message) for key, message in exc.errors.items()]
    return [RowError(number, _column_of(exc.pointer), exc.detail)]


def import_product_rows(
    *,
    tenant: Tenant,
    actor: User,
    rows: Iterable[tuple[int, dict[str, str]]],
) -> tuple[int, list[RowError]]:
    """Import a batch in one transaction, each row in its own savepoint. Returns (ok, errors)."""
    succeeded, errors = 0, []
    batch = list(rows)
    with transaction.atomic():
        lookups = _Lookups(tenant)
        existing = _existing_products(tenant=tenant, rows=batch)
        for number, row in batch:
            try:
                with transaction.atomic():
                    _import_row(tenant=tenant, actor=actor, row=row, lookups=lookups, existing=existing)
                succeeded += 1
            except DomainError as exc:
                errors += _errors_of(number, exc)
    return succeeded, errors


# --- Exporting --------------------------------------------------------------------------------


def _safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_header(custom_keys: list[str]) -> list[str]:
    return [*BASE_COLUMNS, *language_columns(), *(CUSTOM_PREFIX + key for key in custom_keys)]


def export_rows(*, tenant: Tenant, custom_keys: list[str], chunk_size: int = 1000) -> Iterator[list[str]]:
    """Every product of the tenant as CSV cells, read in chunks (constant memory)."""
    products = (
        Product.objects.filter(tenant=tenant)
        .select_related("category", "tax_rate")
        .prefetch_related("translations")
        .order_by("sku")
    )
    for product in products.iterator(chunk_size=chunk_size):
        translations = {t.language_code: t for t in product.translations.all()}
        default = translations.get(tenant.default_language)
        cells: list[Any] = [
            product.sku,
            product.barcode,
            product.price,
            product.category.name if product.category else "",
            product.tax_rate.name if product.tax_rate else "",
            str(product.track_stock).lower(),
            str(product.is_active).lower(),
            default.name if default else "",
            default.description if default else "",
        ]
        for code, _name in settings.LANGUAGES:
            translation = translations.get(code)
            cells += [translation.name if translation else "", translation.description if translation else ""]
        cells += [(product.custom_fields or {}).get(key, "") for key in custom_keys]
        yield [_safe(cell) for cell in cells]
