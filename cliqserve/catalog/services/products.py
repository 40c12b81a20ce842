"""Products: per-tenant unique sku and barcode, a price in the tenant's currency, names and
descriptions by language, and custom field values checked against their definitions.

`prepare_product` and `write_translations` are the rules every product write goes through;
the batch import (`product_import.py`) calls them too, without writing row by row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cliqserve.core import audit
from cliqserve.core.errors import InvalidInput
from cliqserve.core.money import quantize_money
from cliqserve.core.services import assign_fields, refuse_unknown_fields, validate_model

from ..custom_fields import clean_custom_fields
from ..models import Category, Product, ProductTranslation, TaxRate
from ..sequence import renumber

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.core.models import AuditEvent
    from cliqserve.tenants.models import Tenant

PRODUCT_FIELDS = frozenset({"sku", "barcode", "category", "price", "tax_rate", "track_stock", "is_active"})
TRANSLATED_FIELDS = frozenset({"name", "description"})
# What the audit trail records of a product change: what it sells for, and whether it sells.
AUDITED_FIELDS = ("price", "tax_rate", "is_active")

# {language: {"name": ..., "description": ...}}; a language set to None loses its translation.
Translations = Mapping[str, Mapping[str, str] | None]


def _clashing_field(product: Product) -> str | None:
    """Which per-tenant unique value another product already has. Asked only after the
    constraint has refused the write, to name the field; the constraint is what decides."""
    others = Product.objects.filter(tenant_id=product.tenant_id).exclude(pk=product.pk)
    if others.filter(sku__iexact=product.sku).exists():
        return "sku"
    if product.barcode and others.filter(barcode=product.barcode).exists():
        return "barcode"
    return None


@contextmanager
def _unique_sku_and_barcode(product: Product) -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        field = _clashing_field(product)
        if field is None:
            raise
        raise InvalidInput(
            _("Another product already has this %(field)s.") % {"field": field}, pointer=f"/{field}"
        ) from exc


def _check_reference(*, tenant: Tenant, model: type[Category | TaxRate], value: Any, field: str) -> None:
    """A product points at a live category or tax rate of its own tenant. Read again under
    the catalog lock, so it cannot be deleted between this check and the write."""
    if value is None:
        return
    label = field.replace("_", " ")
    is_active = model.objects.filter(tenant=tenant, pk=value.pk).values_list("is_active", flat=True).first()
    if is_active is None:
        raise InvalidInput(_("Unknown %(field)s.") % {"field": label}, pointer=f"/{field}")
    if not is_active:
        raise InvalidInput(_("This %(field)s is inactive.") % {"field": label}, pointer=f"/{field}")


def _quantized_price(value: Any, *, currency: str) -> Decimal:
    try:
        price = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidInput(_("Enter a price."), pointer="/price") from exc
    if not price.is_finite() or price < 0:
        raise InvalidInput(_("A price is a number of zero or more."), pointer="/price")
    try:
        return quantize_money(price, currency)
    except InvalidOperation as exc:  # more digits than any context holds (1e400): far too big
        max_digits = Product._meta.get_field("price").max_digits
        raise InvalidInput(
            _("Ensure that there are no more than %(max)s digits in total.") % {"max": max_digits},
            pointer="/price",
        ) from exc


def prepare_product(
    *,
    tenant: Tenant,
    product: Product,
    fields: Mapping[str, Any],
    numbered: bool = True,
    references_checked: bool = False,
) -> None:
    """Number the write (taking the catalog lock), then apply and check `fields`.

    Only a category or tax rate being (re)assigned must be live: a product already on a rate
    deactivated since may still be edited. A bulk writer (the CSV import) passes
    `numbered=False` (it numbers the batch from one block) and `references_checked=True` when
    it resolved the category and tax rate from live rows read under the catalog lock.
    """
    if numbered:
        renumber(product, tenant_id=tenant.pk)
    assign_fields(product, fields, allowed=PRODUCT_FIELDS)
    if "category" in fields and not references_checked:
        _check_reference(tenant=tenant, model=Category, value=product.category, field="category")
    if "tax_rate" in fields and not references_checked:
        _check_reference(tenant=tenant, model=TaxRate, value=product.tax_rate, field="tax_rate")
    if "price" in fields:
        product.price = _quantized_price(product.price, currency=tenant.currency)
    validate_model(product, exclude=["tenant", "category", "tax_rate", "custom_fields"])


def _check_language(language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Unsupported language."), pointer=f"/translations/{language}")


def _translation_for(
    *, product: Product, language: str, values: Mapping[str, str], existing: ProductTranslation | None
) -> ProductTranslation:
    refuse_unknown_fields(values, allowed=TRANSLATED_FIELDS, pointer=f"/translations/{language}")
    translation = existing or ProductTranslation(
        master=product, language_code=language, translation_tenant_id=product.tenant_id
    )
    for field, value in values.items():
        setattr(translation, field, value)
    if not (translation.name or "").strip():
        raise InvalidInput(_("A translation needs a name."), pointer=f"/translations/{language}/name")
    validate_model(translation, exclude=["master", "translation_tenant"])
    return translation


def write_translations(
    *,
    product: Product,
    translations: Translations,
    stored: dict[str, ProductTranslation] | None = None,
    save: bool = True,
) -> None:
    """Check and write `translations` over the product's stored ones.

    A bulk writer passes the product's `stored` translations by language (read for its whole
    batch at once) and `save=False`: every rule is checked, and `stored` is left holding the
    translations as they should be, for the caller to write in bulk. With `save=False` no
    row is written or deleted, so `translations` must not remove a language.
    """
    if stored is None:
        stored = {
            translation.language_code: translation
            for translation in ProductTranslation.objects.filter(
                master=product, translation_tenant_id=product.tenant_id
            )
        }
    for language, values in translations.items():
        _check_language(language)
        existing = stored.pop(language, None)
        if values is None:
            if not save:
                raise ValueError("save=False cannot remove a translation")
            if existing is not None:
                existing.delete()
            continue
        translation = _translation_for(product=product, language=language, values=values, existing=existing)
        if save:
            translation.save()
        stored[language] = translation
    if not stored:
        raise InvalidInput(_("A product needs a name in at least one language."), pointer="/name")


@transaction.atomic
def product_create(
    *,
    tenant: Tenant,
    actor: User,
    translations: Translations,
    custom_fields: Mapping[str, Any] | None = None,
    **fields: Any,
) -> Product:
    """`translations` holds the name (and description) in at least one of settings.LANGUAGES."""
    product = Product(tenant=tenant)
    prepare_product(tenant=tenant, product=product, fields=fields)
    product.custom_fields = clean_custom_fields(tenant=tenant, values=custom_fields or {}, existing={})
    with _unique_sku_and_barcode(product):
        product.save()
    write_translations(product=product, translations=translations)
    return product


@transaction.atomic
def product_update(
    *,
    tenant: Tenant,
    actor: User,
    product: Product,
    translations: Translations | None = None,
    custom_fields: Mapping[str, Any] | None = None,
    **fields: Any,
) -> Product:
    """Translations and custom fields are merged into what is stored: a language or key set
    to None is removed, one left out stays as it is."""
    before = audited_values(product, tenant=tenant)
    prepare_product(tenant=tenant, product=product, fields=fields)
    if custom_fields is not None:
        product.custom_fields = clean_custom_fields(
            tenant=tenant, values=custom_fields, existing=product.custom_fields or {}
        )
    with _unique_sku_and_barcode(product):
        product.save()
    if translations:
        write_translations(product=product, translations=translations)
    change = product_change_event(tenant=tenant, actor=actor, product=product, before=before)
    if change is not None:
        change.save(force_insert=True)
    return product


def audited_values(product: Product, *, tenant: Tenant) -> dict[str, Any]:
    """What the audit trail compares of a product, before and after a change."""
    values = audit.snapshot(product, AUDITED_FIELDS)
    # As the API shows it: a price read back from its column has the column's decimal places.
    # (An import may have set it as text; it was validated before the save.)
    if values["price"] is not None:
        values["price"] = quantize_money(Decimal(str(values["price"])), tenant.currency)
    return values


def product_change_event(
    *, tenant: Tenant, actor: User, product: Product, before: dict[str, Any]
) -> AuditEvent | None:
    """The audit event of a price or tax change, or of a product taken off (or back on) sale;
    None when nothing audited changed. Unsaved: a bulk import writes its events at once."""
    changes = audit.diff(before, audited_values(product, tenant=tenant))
    if not changes:
        return None
    priced = "price" in changes or "tax_rate" in changes
    return audit.event(
        action="product_price_changed" if priced else "product_availability_changed",
        tenant_id=tenant.pk,
        actor=actor,
        target=product,
        object_repr=product.sku,
        changes=changes,
    )


def product_deactivate(*, tenant: Tenant, actor: User, product: Product) -> Product:
    """Deactivated, never deleted: sales and stock history point at it; devices stop selling it."""
    return product_update(tenant=tenant, actor=actor, product=product, is_active=False)
