"""What a till sells: categories, tax rates, products (translated) and custom product fields.

Every catalog row carries `change_seq`, a per-tenant number taken from `CatalogCounter` under
a row lock in the writing transaction (see `catalog.sequence`). Writers of one tenant's
catalog therefore commit in sequence order, and a device that syncs "everything after N"
never misses a write that committed late — which a wall-clock cursor cannot promise.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from parler.fields import TranslationsForeignKey
from parler.managers import TranslatableQuerySet
from parler.models import TranslatableModel, TranslatedFieldsModel

from cliqserve.core.money import money_field

if TYPE_CHECKING:
    from django_stubs_ext.db.models.manager import RelatedManager

    from cliqserve.tenants.models import Tenant
from cliqserve.core.tenancy import Tenancy, TenantOwnedModel, TenantScopedManager


class CatalogCounter(TenantOwnedModel):
    """One row per tenant: the last catalog change number handed out."""

    value = models.BigIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint("tenant", name="catalog_counter_one_per_tenant")]


class CatalogRow(TenantOwnedModel):
    """A catalog row that devices sync: numbered by the tenant's catalog change sequence."""

    change_seq = models.BigIntegerField(default=0, editable=False)

    class Meta:
        abstract = True


class Category(CatalogRow):
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "categories"
        indexes: ClassVar = [models.Index(fields=["tenant", "change_seq"], name="category_tenant_seq")]

    def __str__(self) -> str:
        return self.name


class TaxRate(CatalogRow):
    name = models.CharField(max_length=100)
    rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percent, e.g. 15.00.",
    )
    inclusive = models.BooleanField(default=False, help_text="Prices already include this tax.")
    is_active = models.BooleanField(default=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["tenant", "change_seq"], name="taxrate_tenant_seq")]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=100), name="taxrate_rate_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate}%)"


class ProductQuerySet(TranslatableQuerySet):
    pass


class ProductManager(TenantScopedManager.from_queryset(ProductQuerySet)):  # type: ignore[misc]
    """Tenant-scoped, with parler's translation-aware queryset."""


class Product(TranslatableModel, CatalogRow):  # type: ignore[django-manager-missing]  # parler is untyped
    """`name` and `description` are translated (ProductTranslation), one row per language."""

    sku = models.CharField(max_length=64)
    barcode = models.CharField(max_length=64, blank=True, default="")
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    price = money_field(validators=[MinValueValidator(0)], help_text="In the tenant's currency.")
    tax_rate = models.ForeignKey(
        TaxRate, on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    track_stock = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    custom_fields = models.JSONField(default=dict, blank=True)

    objects: ClassVar[Any] = ProductManager()
    if TYPE_CHECKING:
        translations: RelatedManager[ProductTranslation]

    class Meta:
        default_manager_name = "objects"
        indexes: ClassVar = [models.Index(fields=["tenant", "change_seq"], name="product_tenant_seq")]
        constraints: ClassVar = [
            models.UniqueConstraint("tenant", Lower("sku"), name="product_sku_unique_per_tenant"),
            models.UniqueConstraint(
                "tenant", "barcode", condition=~Q(barcode=""), name="product_barcode_unique_per_tenant"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.sku


class ProductTranslation(TranslatedFieldsModel):
    """A product's name and description in one language. Carries `tenant_id` like every
    tenant-owned table (for row-level security later); it keeps a plain manager because parler
    reaches it only through its product, which was itself found in scope (docs/adr/0002)."""

    tenancy: ClassVar[Tenancy] = "tenant"

    master: models.ForeignKey[Product | None, Product | None] = TranslationsForeignKey(
        Product, on_delete=models.CASCADE, related_name="translations", null=True
    )
    # Named apart from Product.tenant (parler would proxy a "tenant" field onto Product); the
    # column is tenant_id like on every other tenant-owned table.
    translation_tenant: models.ForeignKey[Tenant, Tenant] = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_column="tenant_id"
    )
    name: models.CharField[str, str] = models.CharField(max_length=200)
    description: models.TextField[str, str] = models.TextField(blank=True, default="")
    if TYPE_CHECKING:
        translation_tenant_id: uuid.UUID

    class Meta:
        unique_together = ("language_code", "master")
        indexes: ClassVar = [
            models.Index(fields=["translation_tenant", "language_code"], name="producttr_tenant_lang")
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.master is not None and not self.translation_tenant_id:
            self.translation_tenant_id = self.master.tenant_id
        super().save(*args, **kwargs)


class CustomFieldDefinition(TenantOwnedModel):
    """A field a tenant adds to its products; product writes are validated against these."""

    class FieldType(models.TextChoices):
        TEXT = "text"
        NUMBER = "number"
        BOOLEAN = "boolean"
        DATE = "date"
        CHOICE = "choice"

    key = models.SlugField(max_length=50, help_text="Key in a product's custom_fields.")
    label = models.CharField(max_length=100)
    field_type = models.CharField(max_length=10, choices=FieldType.choices)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True, help_text="Allowed values of a choice field.")
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint("tenant", "key", name="customfield_key_unique_per_tenant")
        ]

    def __str__(self) -> str:
        return self.key


class CatalogTombstone(TenantOwnedModel):
    """A catalog row that was deleted outright, so devices can drop it on their next sync."""

    class Kind(models.TextChoices):
        PRODUCT = "product"
        CATEGORY = "category"
        TAX_RATE = "tax_rate"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.UUIDField()
    change_seq = models.BigIntegerField()

    class Meta:
        indexes: ClassVar = [models.Index(fields=["tenant", "change_seq"], name="tombstone_tenant_seq")]
