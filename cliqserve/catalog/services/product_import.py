"""The batch product import: rows of text values, created or updated by sku.

A row creates the product with its sku, or updates the one that has it, so re-running an
import is safe. `category` and `tax_rate` name an active row by its name (case-insensitively)
or id; `track_stock` and `is_active` are written true/false, yes/no, 1/0. A bad row is
reported with its number and a pointer to its field and never stops the good ones: every row
of a batch is checked first by the rules of products.py, then the good ones are written in
bulk (see products_import). Where the rows come from (a CSV file) is the caller's business.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from parler import appsettings as parler_settings
from parler.cache import get_translation_cache_key

from cliqserve.core import audit
from cliqserve.core.errors import DomainError, InvalidInput

from ..custom_fields import CustomFieldsInvalid, clean_custom_fields, custom_field_definitions
from ..models import Category, Product, ProductTranslation, TaxRate
from ..sequence import next_change_seq_block
from .products import (
    audited_values,
    prepare_product,
    product_change_event,
    product_create,
    product_update,
    write_translations,
)

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.core.models import AuditEvent
    from cliqserve.tenants.models import Tenant

TRUE, FALSE = {"1", "true", "yes", "y"}, {"0", "false", "no", "n"}


@dataclass(frozen=True)
class ImportRow:
    """One product as an import gives it. Values are text as a person typed them."""

    number: int  # where the row is in its source (a line of a file), to report its errors
    # sku (required), and any of price, barcode, category, tax_rate, track_stock, is_active
    fields: Mapping[str, str]
    translations: Mapping[str, Mapping[str, str]] = field(
        default_factory=dict
    )  # {language: {name, description}}
    custom_fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def sku(self) -> str:
        return self.fields.get("sku", "")


@dataclass(frozen=True)
class ImportRowError:
    """What is wrong with a row: `pointer` names the field as the product API does
    (/price, /translations/es/name, /custom_fields/size), None for the row as a whole."""

    row: int
    pointer: str | None
    message: str


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
    raise InvalidInput(_("Write true or false, not %(value)r.") % {"value": value}, pointer=f"/{column}")


def _reference(value: str, index: dict[str, Any], column: str) -> Any:
    found = index.get(value.lower()) or index.get(value)
    if found is None:
        raise InvalidInput(
            _("No active %(column)s is called %(value)r.")
            % {"column": column.replace("_", " "), "value": value},
            pointer=f"/{column}",
        )
    return found


def _fields(row: ImportRow, lookups: _Lookups) -> dict[str, Any]:
    values = row.fields
    fields: dict[str, Any] = {name: values[name] for name in ("sku", "price", "barcode") if name in values}
    for name in ("track_stock", "is_active"):
        if values.get(name):
            fields[name] = _boolean(values[name], name)
    if "category" in values:
        fields["category"] = (
            _reference(values["category"], lookups.categories, "category") if values["category"] else None
        )
    if "tax_rate" in values:
        fields["tax_rate"] = (
            _reference(values["tax_rate"], lookups.tax_rates, "tax_rate") if values["tax_rate"] else None
        )
    return fields


def _existing_products(*, tenant: Tenant, rows: list[ImportRow]) -> dict[str, Product]:
    """The batch's products that already exist, by lower-cased sku, in one indexed query."""
    skus = {row.sku.lower() for row in rows if row.sku}
    products = Product.objects.alias(sku_lower=Lower("sku")).filter(tenant=tenant, sku_lower__in=skus)
    return {product.sku.lower(): product for product in products}


def _import_row(
    *, tenant: Tenant, actor: User, row: ImportRow, lookups: _Lookups, existing: dict[str, Product]
) -> None:
    if not row.sku:
        raise InvalidInput(_("A sku is required."), pointer="/sku")
    fields = _fields(row, lookups)
    product = existing.get(row.sku.lower())
    if product is None:
        product = product_create(
            tenant=tenant,
            actor=actor,
            translations=row.translations,
            custom_fields=row.custom_fields,
            **fields,
        )
        existing[row.sku.lower()] = product  # a later row of the batch with this sku updates it
    else:
        product_update(
            tenant=tenant,
            actor=actor,
            product=product,
            translations=row.translations,
            custom_fields=row.custom_fields,
            **fields,
        )


def _errors_of(number: int, exc: DomainError) -> list[ImportRowError]:
    if isinstance(exc, CustomFieldsInvalid):
        return [
            ImportRowError(number, f"/custom_fields/{key}", message) for key, message in exc.errors.items()
        ]
    return [ImportRowError(number, exc.pointer, exc.detail)]


def _import_row_by_row(
    *, tenant: Tenant, actor: User, rows: list[ImportRow], lookups: _Lookups
) -> tuple[int, list[ImportRowError]]:
    """The batch through the product services, each row in its own savepoint (slow, exact)."""
    succeeded, errors = 0, []
    existing = _existing_products(tenant=tenant, rows=rows)
    for row in rows:
        try:
            with transaction.atomic():
                _import_row(tenant=tenant, actor=actor, row=row, lookups=lookups, existing=existing)
            succeeded += 1
        except DomainError as exc:
            errors += _errors_of(row.number, exc)
            _reread(existing, row=row)
    return succeeded, errors


def _reread(existing: dict[str, Product], *, row: ImportRow) -> None:
    """A refused row may have changed its product in memory before the refusal (the savepoint
    undid only the database): read it again, so the next row starts from what is stored."""
    product = existing.get(row.sku.lower()) if row.sku else None
    if product is not None:
        product.refresh_from_db()


# --- In bulk ----------------------------------------------------------------------------------

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
    stored_audited: dict[str, Any] | None = None  # its audited values in the database, likewise


class _Batch:
    """What a batch's rows are checked against, read once under the catalog lock, and the
    products as the rows checked so far leave them."""

    def __init__(self, *, tenant: Tenant, rows: list[ImportRow]) -> None:
        self.tenant = tenant
        self.lookups = _Lookups(tenant)
        self.definitions = list(custom_field_definitions(tenant=tenant, active_only=True))
        self.planned = self._existing(tenant=tenant, rows=rows)

    @staticmethod
    def _existing(*, tenant: Tenant, rows: list[ImportRow]) -> dict[str, _Planned]:
        products = _existing_products(tenant=tenant, rows=rows)
        translations: dict[Any, dict[str, ProductTranslation]] = {p.pk: {} for p in products.values()}
        # ProductTranslation keeps a plain manager (ADR 0002): filtered by tenant explicitly.
        for translation in ProductTranslation.objects.filter(
            master_id__in=list(translations), translation_tenant_id=tenant.pk
        ):
            translations[translation.master_id][translation.language_code] = translation
        return {
            key: _Planned(
                product,
                translations[product.pk],
                stored_barcode=product.barcode,
                stored_audited=audited_values(product, tenant=tenant),
            )
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


def _plan_row(*, batch: _Batch, row: ImportRow) -> None:
    """Check a row by the rules product_create / product_update apply, without writing it.

    The category and tax rate come from live rows read under the catalog lock, so the
    services' per-row re-read of them is skipped; everything else is the services' own code.
    """
    if not row.sku:
        raise InvalidInput(_("A sku is required."), pointer="/sku")
    tenant = batch.tenant
    fields = _fields(row, batch.lookups)
    translations = row.translations
    previous = batch.planned.get(row.sku.lower())
    # Copies: a row that fails half-way must leave nothing of itself for the rows after it.
    product = copy.copy(previous.product) if previous else Product(tenant=tenant)
    stored = {code: copy.copy(t) for code, t in previous.translations.items()} if previous else {}
    prepare_product(tenant=tenant, product=product, fields=fields, numbered=False, references_checked=True)
    product.custom_fields = clean_custom_fields(
        tenant=tenant,
        values=row.custom_fields,
        existing=product.custom_fields or {},
        definitions=batch.definitions,
    )
    if previous is None or translations:  # as product_create always, product_update if given
        write_translations(product=product, translations=translations, stored=stored, save=False)
    batch.planned[row.sku.lower()] = _next_plan(
        previous, product=product, stored=stored, languages=set(translations)
    )


def _next_plan(
    previous: _Planned | None, *, product: Product, stored: dict[str, ProductTranslation], languages: set[str]
) -> _Planned:
    """The product as a checked row leaves it; what the database holds stays as it was."""
    if previous is None:
        return _Planned(product, stored, touched=languages, written=True)
    return _Planned(
        product,
        stored,
        touched=previous.touched | languages,
        written=True,
        stored_barcode=previous.stored_barcode,
        stored_audited=previous.stored_audited,
    )


def _plan_rows(*, batch: _Batch, rows: list[ImportRow]) -> tuple[int, list[ImportRowError]]:
    succeeded, errors = 0, []
    for row in rows:
        try:
            _plan_row(batch=batch, row=row)
            succeeded += 1
        except DomainError as exc:
            errors += _errors_of(row.number, exc)
    return succeeded, errors


def _forget_cached_translations(translations: list[ProductTranslation]) -> None:
    """Bulk writes skip parler's save(), which refreshes its translation cache: drop the
    entries now, and again at commit in case a reader cached the old rows in between."""
    if not parler_settings.PARLER_ENABLE_CACHING or not translations:
        return
    keys = [get_translation_cache_key(ProductTranslation, t.master_id, t.language_code) for t in translations]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def _write_batch(batch: _Batch, *, actor: User) -> None:
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
    audit.record_many(_price_changes(batch, planned=planned, actor=actor))


def _price_changes(batch: _Batch, *, planned: list[_Planned], actor: User) -> Iterator[AuditEvent]:
    """The audit events of the stored products whose price, tax or availability the batch
    changed, as product_update writes them row by row."""
    for entry in planned:
        if entry.stored_audited is not None:
            change = product_change_event(
                tenant=batch.tenant, actor=actor, product=entry.product, before=entry.stored_audited
            )
            if change is not None:
                yield change


def _wrote_in_bulk(batch: _Batch, *, actor: User) -> bool:
    """Write the batch in bulk in a savepoint; False if a unique constraint refused it.

    The constraints decide uniqueness: a clash (a barcode another product has, or two rows
    sharing one) rolls the bulk write back, and the caller replays the batch row by row,
    where the clash becomes that row's error.
    """
    if batch.moves_a_barcode():
        return False
    try:
        with transaction.atomic():
            _write_batch(batch, actor=actor)
    except IntegrityError:
        return False
    return True


def products_import(
    *, tenant: Tenant, actor: User, rows: Iterable[ImportRow]
) -> tuple[int, list[ImportRowError]]:
    """Create or update (by sku) the products of a batch of rows, in one transaction.
    Returns how many rows succeeded, and every error of the others.

    Every row is checked first, in Python, by the product services' rules; the valid ones
    are then written in bulk. A batch the bulk write cannot take as it is goes row by row
    instead, each row in its own savepoint, through product_create / product_update. Either
    way a bad row is reported with its number and a pointer to its field and never stops the
    good ones.
    """
    batch_rows = list(rows)
    with transaction.atomic():
        # Lock the catalog first, as the services do before their checks: the categories,
        # tax rates and definitions read next cannot change before this batch commits.
        next_change_seq_block(tenant_id=tenant.pk, count=0)
        batch = _Batch(tenant=tenant, rows=batch_rows)
        succeeded, errors = _plan_rows(batch=batch, rows=batch_rows)
        if _wrote_in_bulk(batch, actor=actor):
            return succeeded, errors
        return _import_row_by_row(tenant=tenant, actor=actor, rows=batch_rows, lookups=batch.lookups)
