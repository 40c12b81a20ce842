from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view

from cliqserve.core.api.permissions import reads_and_writes
from cliqserve.core.api.serializers import ErrorSerializer
from cliqserve.core.api.viewsets import ServiceModelViewSet
from cliqserve.core.roles import TENANT_ROLES, ApiKeyScope, Role

from .. import custom_fields, selectors, services
from ..models import Category, CustomFieldDefinition, Product, TaxRate
from .caching import CatalogViewSet
from .language import catalog_language
from .serializers import (
    CategorySerializer,
    CustomFieldDefinitionSerializer,
    ProductSerializer,
    TaxRateSerializer,
    catalog_context,
)

ADMINS = {Role.TENANT_ADMIN}
# An integration's key: `catalog:read` reads what tills read, `catalog:write` writes as admins do.
CATALOG_KEY_SCOPES = reads_and_writes(read=ApiKeyScope.CATALOG_READ, write=ApiKeyScope.CATALOG_WRITE)
# Tills need the whole catalog to sell: every role of the tenant reads it; admins write it.
CATALOG_POLICY: dict[str, Collection[str]] = {
    "list": TENANT_ROLES,
    "retrieve": TENANT_ROLES,
    "create": ADMINS,
    "update": ADMINS,
    "partial_update": ADMINS,
    "destroy": ADMINS,
}

ACCEPT_LANGUAGE = OpenApiParameter(
    "Accept-Language",
    str,
    OpenApiParameter.HEADER,
    description="Language of `name` and `description` in the answer, and of a written top-level "
    "`name`/`description` (en, es, fr). Defaults to the tenant's default language.",
)


# Foreign keys are plain id filters: the list is already confined to the caller's tenant, so
# another tenant's id matches nothing (and a ModelChoiceFilter could not build its queryset
# at import time, outside any tenant scope).
class CategoryFilter(filters.FilterSet):
    parent = filters.UUIDFilter(field_name="parent_id", help_text="Direct children of this category.")

    class Meta:
        model = Category
        fields: ClassVar = ["is_active"]


class TaxRateFilter(filters.FilterSet):
    class Meta:
        model = TaxRate
        fields: ClassVar = ["is_active"]


class ProductFilter(filters.FilterSet):
    search = filters.CharFilter(
        method="filter_search",
        help_text="Matches sku (contains), barcode (exact) or the name in the request's language (contains).",
    )
    barcode = filters.CharFilter(field_name="barcode")
    category = filters.UUIDFilter(
        field_name="category_id", help_text="Products directly in this category (not its subcategories)."
    )

    class Meta:
        model = Product
        fields: ClassVar = ["is_active"]

    def filter_search(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        tenant = self.request.user.tenant
        language = catalog_language(self.request, default=tenant.default_language)
        return selectors.product_search(queryset, term=value.strip(), language=language)


class CustomFieldFilter(filters.FilterSet):
    class Meta:
        model = CustomFieldDefinition
        fields: ClassVar = ["is_active"]


class CategoryViewSet(CatalogViewSet):
    """Product categories, a tree through `parent`. DELETE removes an empty category outright."""

    model = Category
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter
    policy: ClassVar = CATALOG_POLICY
    key_scopes: ClassVar = CATALOG_KEY_SCOPES

    def select(self) -> QuerySet[Category]:
        return selectors.category_list(tenant=self.tenant)

    def create_object(self, data: dict[str, Any]) -> Category:
        return services.category_create(tenant=self.tenant, actor=self.actor, **data)

    def update_object(self, instance: Category, data: dict[str, Any]) -> Category:
        return services.category_update(tenant=self.tenant, actor=self.actor, category=instance, **data)

    def deactivate_object(self, instance: Category) -> None:
        # Categories are deleted, not deactivated: nothing in history points at one.
        services.category_delete(tenant=self.tenant, actor=self.actor, category=instance)

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted; devices drop it on their next catalog sync."),
            409: OpenApiResponse(ErrorSerializer, description="It still has subcategories or products."),
        }
    )
    def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().destroy(request, *args, **kwargs)


class TaxRateViewSet(CatalogViewSet):
    """Tax rates in percent. DELETE deactivates: products keep pointing at the rate."""

    model = TaxRate
    serializer_class = TaxRateSerializer
    filterset_class = TaxRateFilter
    policy: ClassVar = CATALOG_POLICY
    key_scopes: ClassVar = CATALOG_KEY_SCOPES

    def select(self) -> QuerySet[TaxRate]:
        return selectors.tax_rate_list(tenant=self.tenant)

    def create_object(self, data: dict[str, Any]) -> TaxRate:
        return services.tax_rate_create(tenant=self.tenant, actor=self.actor, **data)

    def update_object(self, instance: TaxRate, data: dict[str, Any]) -> TaxRate:
        return services.tax_rate_update(tenant=self.tenant, actor=self.actor, tax_rate=instance, **data)

    def deactivate_object(self, instance: TaxRate) -> None:
        services.tax_rate_deactivate(tenant=self.tenant, actor=self.actor, tax_rate=instance)


@extend_schema_view(
    list=extend_schema(parameters=[ACCEPT_LANGUAGE]),
    retrieve=extend_schema(parameters=[ACCEPT_LANGUAGE]),
    create=extend_schema(parameters=[ACCEPT_LANGUAGE]),
    update=extend_schema(parameters=[ACCEPT_LANGUAGE]),
    partial_update=extend_schema(parameters=[ACCEPT_LANGUAGE]),
)
class ProductViewSet(CatalogViewSet):
    """Products, translated. DELETE deactivates: sales and stock history point at them."""

    model = Product
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    policy: ClassVar = CATALOG_POLICY
    key_scopes: ClassVar = CATALOG_KEY_SCOPES

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        language = catalog_language(self.request, default=self.tenant.default_language)
        return {**context, **catalog_context(tenant=self.tenant, language=language)}

    def select(self) -> QuerySet[Product]:
        return selectors.product_list(tenant=self.tenant)

    def create_object(self, data: dict[str, Any]) -> Product:
        return services.product_create(tenant=self.tenant, actor=self.actor, **data)

    def update_object(self, instance: Product, data: dict[str, Any]) -> Product:
        return services.product_update(tenant=self.tenant, actor=self.actor, product=instance, **data)

    def deactivate_object(self, instance: Product) -> None:
        services.product_deactivate(tenant=self.tenant, actor=self.actor, product=instance)


class CustomFieldViewSet(ServiceModelViewSet):
    """The custom fields a tenant's products carry. DELETE deactivates: stored values stay."""

    model = CustomFieldDefinition
    serializer_class = CustomFieldDefinitionSerializer
    filterset_class = CustomFieldFilter
    policy: ClassVar = CATALOG_POLICY
    key_scopes: ClassVar = CATALOG_KEY_SCOPES

    def select(self) -> QuerySet[CustomFieldDefinition]:
        return selectors.custom_field_list(tenant=self.tenant)

    def create_object(self, data: dict[str, Any]) -> CustomFieldDefinition:
        return custom_fields.custom_field_create(tenant=self.tenant, actor=self.actor, **data)

    def update_object(self, instance: CustomFieldDefinition, data: dict[str, Any]) -> CustomFieldDefinition:
        return custom_fields.custom_field_update(
            tenant=self.tenant, actor=self.actor, definition=instance, **data
        )

    def deactivate_object(self, instance: CustomFieldDefinition) -> None:
        custom_fields.custom_field_deactivate(tenant=self.tenant, actor=self.actor, definition=instance)
