"""Products to and from CSV: parsing an upload, importing rows, exporting the catalog.

The columns round-trip: what the export writes, the import reads back.

    sku, barcode, price, category, tax_rate, track_stock, is_active,
    name, description                       (in the tenant's default language)
    name_<lang>, description_<lang>         (en, es, fr)
    custom.<key>                            (custom product fields)

`category` and `tax_rate` name the row by its name (case-insensitively) or id. A row creates
the product with its sku, or updates the one that has it, so re-running an import is safe.
A bad row is reported with its number and column and never stops the good ones: every row
of a batch is checked first, then the good ones are written in bulk (see import_product_rows).
"""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from parler import appsettings as parler_settings
from parler.cache import get_translation_cache_key

from cliqserve.core.errors import DomainError, InvalidInput
from cliqserve.core.money import quantize_money

from . import services
from .custom_fields import CustomFieldsInvalid, clean_custom_fields, custom_field_definitions
from .models import Category, Product, ProductTranslation, TaxRate
from .sequence import next_change_seq_block

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


def _csv_lines(text: str) -> io.StringIO:
    # newline="": the csv module reads line ends itself, so a bare \r ends a row (as old
    # spreadsheets write them) and one inside quotes stays in its field.
    return io.StringIO(text, newline="")


@contextmanager
def _readable(reader: Any) -> Iterator[None]:  # a csv.reader (the module exports no type)
    """What the csv module refuses (a field over its size limit) is an error on /file naming
    the line, not a crash."""
    try:
        yield
    except csv.Error as exc:  # e.g. "field larger than field limit (131072)"
        raise InvalidInput(f"Line {reader.line_num} cannot be read as CSV: {exc}.", pointer="/file") from exc


def parse_header(text: str) -> list[str]:
    """Check the header of an upload; raises InvalidInput on /file naming what is wrong."""
    reader = csv.reader(_csv_lines(text))
    with _readable(reader):
        first = next(reader, [])
    header = [column.strip() for column in first]
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
    reader = csv.DictReader(_csv_lines(text), skipinitialspace=True)
    with _readable(reader.reader):  # DictReader's own line_num lags behind on an error
        for row in reader:
            if any((value or "").strip() for value in row.values()):
                yield (
                    reader.line_num,
                    {key.strip(): (value or "").strip() for key, value in row.items() if key},
                )


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


def _import_row_by_row(
    *, tenant: Tenant, actor: User, rows: list[tuple[int, dict[str, str]]], lookups: _Lookups
) -> tuple[int, list[RowError]]:
    """The batch through the product services, each row in its own savepoint (slow, exact)."""
    succeeded, errors = 0, []
    existing = _existing_products(tenant=tenant, rows=rows)
    for number, row in rows:
        try:
            with transaction.atomic():
                _import_row(tenant=tenant, actor=actor, row=row, lookups=lookups, existing=existing)
            succeeded += 1
        except DomainError as exc:
            errors += _errors_of(number, exc)
    return succeeded, errors


# --- Importing a batch in bulk ------------------------------------------------------------------

# Every column of a stored product that an import row can change (Product.save() writes them
# all; bulk_create's pre_save sets updated_at, as save() would).
PRODUCT_WRITE_FIELDS = (
    "sku",
    "barcode",
    "category",
    "price",
    "tax_rate",
    "track_stock",
    "is_active",
    "custom_fields",
    "change_seq",
    "updated_at",
)


@dataclass
class _Planned:
    """A product as the batch's valid rows leave it, with every translation it will have."""

    product: Product
    translations: dict[str, ProductTranslation]
    touched: set[str] = field(default_factory=set)  # languages a row of the batch wrote
    written: bool = False  # a row of the batch wrote the product
    stored_barcode: str | None = None  # its barcode in the database; None if the batch creates it


class _Batch:
    """What a batch's rows are checked against, read once under the catalog lock, and the
    products as the rows checked so far leave them."""

    def __init__(self, *, tenant: Tenant, rows: list[tuple[int, dict[str, str]]]) -> None:
        self.tenant = tenant
        self.lookups = _Lookups(tenant)
        self.definitions = list(custom_field_definitions(tenant=tenant, active_only=True))
        self.planned = self._existing(tenant=tenant, rows=rows)

    @staticmethod
    def _existing(*, tenant: Tenant, rows: list[tuple[int, dict[str, str]]]) -> dict[str, _Planned]:
        products = _existing_products(tenant=tenant, rows=rows)
        translations: dict[Any, dict[str, ProductTranslation]] = {p.pk: {} for p in products.values()}
        # ProductTranslation keeps a plain manager (ADR 0002): filtered by tenant explicitly.
        for translation in ProductTranslation.objects.filter(
            master_id__in=list(translations), translation_tenant_id=tenant.pk
        ):
            translations[translation.master_id][translation.language_code] = translation
        return {
            key: _Planned(product, translations[product.pk], stored_barcode=product.barcode)
            for key, product in products.items()
        }

    def written(self) -> list[_Planned]:
        return [planned for planned in self.planned.values() if planned.written]

    def moves_a_barcode(self) -> bool:
        """Whether a row changes the barcode of a stored product. When barcodes move between
        products, which row wins depends on row order, which one bulk statement does not keep
        (its rows are checked in its own order): such a batch goes row by row."""
        return any(
            planned.stored_barcode is not None and planned.product.barcode != planned.stored_barcode
            for planned in self.written()
        )


def _plan_row(*, batch: _Batch, row: dict[str, str]) -> None:
    """Check a row by the rules product_create / product_update apply, without writing it.

    The category and tax rate come from live rows read under the catalog lock, so the
    services' per-row re-read of them is skipped; everything else is the services' own code.
    """
    if not row.get("sku"):
        raise InvalidInput("A sku is required.", pointer="/sku")
    tenant = batch.tenant
    fields = _fields(row, batch.lookups)
    translations = _translations(row, tenant.default_language)
    custom = _custom_fields(row)
    previous = batch.planned.get(row["sku"].lower())
    # Copies: a row that fails half-way must leave nothing of itself for the rows after it.
    product = copy.copy(previous.product) if previous else Product(tenant=tenant)
    stored = {code: copy.copy(t) for code, t in previous.translations.items()} if previous else {}
    services._prepare_product(
        tenant=tenant, product=product, fields=fields, numbered=False, references_checked=True
    )
    product.custom_fields = clean_custom_fields(
        tenant=tenant, values=custom, existing=product.custom_fields or {}, definitions=batch.definitions
    )
    if previous is None or translations:  # as product_create always, product_update if given
        services._write_translations(product=product, translations=translations, stored=stored, save=False)
    batch.planned[row["sku"].lower()] = _Planned(
        product,
        stored,
        touched=(previous.touched if previous else set()) | set(translations),
        written=True,
        stored_barcode=previous.stored_barcode if previous else None,
    )


def _plan_rows(*, batch: _Batch, rows: list[tuple[int, dict[str, str]]]) -> tuple[int, list[RowError]]:
    succeeded, errors = 0, []
    for number, row in rows:
        try:
            _plan_row(batch=batch, row=row)
            succeeded += 1
        except DomainError as exc:
            errors += _errors_of(number, exc)
    return succeeded, errors


def _forget_cached_translations(translations: list[ProductTranslation]) -> None:
    """Bulk writes skip parler's save(), which refreshes its translation cache: drop the
    entries now, and again at commit in case a reader cached the old rows in between."""
    if not parler_settings.PARLER_ENABLE_CACHING or not translations:
        return
    keys = [get_translation_cache_key(ProductTranslation, t.master_id, t.language_code) for t in translations]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def _write_batch(batch: _Batch) -> None:
    """Write the checked products and their translations: a few statements per batch.

    Each product gets its own number from one block taken under the catalog lock. Creates
    and updates go in one INSERT ... ON CONFLICT (id) DO UPDATE: a stored product conflicts
    on its id and is updated in place (its other unique values are checked as an update's),
    a new one is inserted. Django's bulk_update would build a CASE per row and field, which
    costs more Python time than the per-row queries it saves.
    """
    planned = batch.written()
    numbers = next_change_seq_block(tenant_id=batch.tenant.pk, count=len(planned))
    for entry, number in zip(planned, numbers, strict=True):
        entry.product.change_seq = number
    Product.objects.bulk_create(
        [entry.product for entry in planned],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=PRODUCT_WRITE_FIELDS,
    )
    translations = [entry.translations[code] for entry in planned for code in sorted(entry.touched)]
    ProductTranslation.objects.bulk_create(
        translations,
        update_conflicts=True,
        unique_fields=["language_code", "master"],
        update_fields=["name", "description"],
    )
    _forget_cached_translations(translations)


def _wrote_in_bulk(batch: _Batch) -> bool:
    """Write the batch in bulk in a savepoint; False if a unique constraint refused it.

    The constraints decide uniqueness: a clash (a barcode another product has, or two rows
    sharing one) rolls the bulk write back, and the caller replays the batch row by row,
    where the clash becomes that row's error.
    """
    if batch.moves_a_barcode():
        return False
    try:
        with transaction.atomic():
            _write_batch(batch)
    except IntegrityError:
        return False
    return True


def import_product_rows(
    *,
    tenant: Tenant,
    actor: User,
    rows: Iterable[tuple[int, dict[str, str]]],
) -> tuple[int, list[RowError]]:
    """Import a batch in one transaction. Returns (ok, errors).

    Every row is checked first, in Python, by the services' rules; the valid ones are then
    written in bulk. A batch the bulk write cannot take as it is goes row by row instead,
    each row in its own savepoint, through the services. Either way a bad row is reported
    with its number and column and never stops the good ones.
    """
    batch_rows = list(rows)
    with transaction.atomic():
        # Lock the catalog first, as the services do before their checks: the categories,
        # tax rates and definitions read next cannot change before this batch commits.
        next_change_seq_block(tenant_id=tenant.pk, count=0)
        batch = _Batch(tenant=tenant, rows=batch_rows)
        succeeded, errors = _plan_rows(batch=batch, rows=batch_rows)
        if _wrote_in_bulk(batch):
            return succeeded, errors
        return _import_row_by_row(tenant=tenant, actor=actor, rows=batch_rows, lookups=batch.lookups)


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
            quantize_money(product.price, tenant.currency),  # "3.70", not the stored "3.700"
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
