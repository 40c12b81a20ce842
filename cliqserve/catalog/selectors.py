"""Reads of the catalog. Every role of the tenant reads all of it: tills need it to sell."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from .custom_fields import custom_field_definitions
from .models import Category, CustomFieldDefinition, Product, ProductTranslation, TaxRate

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant


def category_list(*, tenant: Tenant) -> QuerySet[Category]:
    return Category.objects.filter(tenant=tenant)


def tax_rate_list(*, tenant: Tenant) -> QuerySet[TaxRate]:
    return TaxRate.objects.filter(tenant=tenant)


def product_list(*, tenant: Tenant) -> QuerySet[Product]:
    """Products with every translation prefetched: one query for the page, one for the names."""
    products: QuerySet[Product] = Product.objects.filter(tenant=tenant)
    return products.prefetch_related("translations")


def product_export_list(*, tenant: Tenant, chunk_size: int = 1000) -> Iterator[Product]:
    """Every product of the tenant, by sku, with what its CSV row shows; read in chunks
    (constant memory, whatever the catalog's size)."""
    products: QuerySet[Product] = (
        Product.objects.filter(tenant=tenant)
        .select_related("category", "tax_rate")
        .prefetch_related("translations")
        .order_by("sku")
    )
    return products.iterator(chunk_size=chunk_size)


def product_search(products: QuerySet[Product], *, term: str, language: str) -> QuerySet[Product]:
    """Products whose sku contains `term`, whose barcode is `term`, or whose name in `language`
    contains it. The name is matched in an EXISTS subquery, so no product is listed twice."""
    name_matches = ProductTranslation.objects.filter(
        master=OuterRef("pk"), language_code=language, name__icontains=term
    )
    return products.filter(Q(sku__icontains=term) | Q(barcode=term) | Exists(name_matches))


def custom_field_list(*, tenant: Tenant) -> QuerySet[CustomFieldDefinition]:
    return custom_field_definitions(tenant=tenant)


def pick_translation(
    translations: dict[str, ProductTranslation], *, preferred: tuple[str | None, ...]
) -> ProductTranslation | None:
    """The first of `preferred` languages the product has, else any, in settings.LANGUAGES order."""
    for language in (*preferred, *(code for code, _name in settings.LANGUAGES)):
        if language in translations:
            return translations[language]
    return next(iter(translations.values()), None)
