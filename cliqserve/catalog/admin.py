"""Django admin for platform staff: every tenant's catalog, to look at (support, audits).

Read-only on purpose. Every catalog write must take the tenant's next change number (or
devices never receive it), round prices to the tenant's currency and check custom fields
against their definitions; those rules live in catalog.services, which tenant admins reach
through the API. An admin form saving the row directly would skip all three.

Rows are read through `.unscoped()` by the tenants admin's TenantOwnedAdmin, which is safe
for the reason given there: only platform staff reach the admin.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from parler.admin import TranslatableAdmin

from cliqserve.tenants.admin import TenantOwnedAdmin

from .models import Category, CustomFieldDefinition, Product, TaxRate


class ReadOnlyCatalogAdmin(TenantOwnedAdmin):
    """Lists and shows every field; adds, changes and deletes nothing (see the module docstring)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(ReadOnlyCatalogAdmin):
    list_display = ("name", "parent", "tenant", "is_active", "change_seq", "updated_at")
    list_filter = ("is_active", "tenant")
    list_select_related = ("tenant", "parent")
    search_fields = ("name", "tenant__name", "tenant__slug")
    ordering = ("tenant__name", "name")
    fields = ("id", "tenant", "name", "parent", "is_active", "change_seq", "created_at", "updated_at")


@admin.register(TaxRate)
class TaxRateAdmin(ReadOnlyCatalogAdmin):
    list_display = ("name", "rate", "inclusive", "tenant", "is_active", "change_seq", "updated_at")
    list_filter = ("is_active", "inclusive", "tenant")
    list_select_related = ("tenant",)
    search_fields = ("name", "tenant__name", "tenant__slug")
    ordering = ("tenant__name", "name")
    fields = (
        "id",
        "tenant",
        "name",
        "rate",
        "inclusive",
        "is_active",
        "change_seq",
        "created_at",
        "updated_at",
    )


@admin.register(Product)
class ProductAdmin(ReadOnlyCatalogAdmin, TranslatableAdmin):
    list_display = ("sku", "names", "tenant", "category", "price", "is_active", "change_seq", "updated_at")
    list_filter = ("is_active", "track_stock", "tenant")
    list_select_related = ("tenant", "category")
    search_fields = ("sku", "barcode", "translations__name", "tenant__name", "tenant__slug")
    ordering = ("tenant__name", "sku")
    fields = (
        "id",
        "tenant",
        "sku",
        "barcode",
        "names",
        "category",
        "price",
        "tax_rate",
        "track_stock",
        "is_active",
        "custom_fields",
        "change_seq",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("translations")

    @admin.display(description="names")
    def names(self, product: Product) -> str:
        # Every language at once, from the prefetched translations: no query per row.
        return " · ".join(f"{t.language_code}: {t.name}" for t in product.translations.all())


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(ReadOnlyCatalogAdmin):
    list_display = ("key", "label", "field_type", "required", "tenant", "is_active", "updated_at")
    list_filter = ("is_active", "field_type", "tenant")
    list_select_related = ("tenant",)
    search_fields = ("key", "label", "tenant__name", "tenant__slug")
    ordering = ("tenant__name", "key")
    fields = (
        "id",
        "tenant",
        "key",
        "label",
        "field_type",
        "required",
        "choices",
        "is_active",
        "created_at",
        "updated_at",
    )
