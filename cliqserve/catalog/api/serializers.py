"""Catalog serializers. Product answers need `catalog_context()`: the tenant (its currency and
default language) and the language the answer speaks."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cliqserve.core.api.serializers import StrictModelSerializer, StrictSerializer
from cliqserve.core.money import quantize_money

from ..custom_fields import CHOICE_MAX_LENGTH, custom_field_errors
from ..models import Category, CustomFieldDefinition, Product, ProductTranslation, TaxRate
from ..selectors import pick_translation

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
# Comfortably inside the column (14 digits, 3 of them decimal) after rounding to any currency.
MAX_PRICE = Decimal("9999999999")


def catalog_context(*, tenant: Tenant, language: str) -> dict[str, Any]:
    return {"tenant": tenant, "currency": tenant.currency, "language": language}


class CategorySerializer(StrictModelSerializer):
    """A product category; `parent` makes the tree (a category of the same tenant, no loops)."""

    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]  # DRF pops declared fields
        queryset=Category.objects, allow_null=True, required=False
    )

    class Meta:
        model = Category
        fields: ClassVar = ["id", "name", "parent", "is_active", "change_seq", "created_at", "updated_at"]
        read_only_fields: ClassVar = ["id", "change_seq", "created_at", "updated_at"]


class TaxRateSerializer(StrictModelSerializer):
    """A tax rate in percent; `inclusive` when prices already include it."""

    rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        help_text="Percent, e.g. 15.00.",
    )

    class Meta:
        model = TaxRate
        fields: ClassVar = [
            "id",
            "name",
            "rate",
            "inclusive",
            "is_active",
            "change_seq",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar = ["id", "change_seq", "created_at", "updated_at"]


class CustomFieldDefinitionSerializer(StrictModelSerializer):
    """A field the tenant adds to its products. `key` and `field_type` are fixed once created."""

    choices = serializers.ListField(
        child=serializers.CharField(max_length=CHOICE_MAX_LENGTH),
        required=False,
        help_text="The allowed values; a choice field needs at least one, other types none.",
    )

    class Meta:
        model = CustomFieldDefinition
        fields: ClassVar = [
            "id",
            "key",
            "label",
            "field_type",
            "required",
            "choices",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar = ["id", "created_at", "updated_at"]


# --- Products -------------------------------------------------------------------------------


def _translations_of(product: Product) -> dict[str, ProductTranslation]:
    # .all() reads the prefetched rows (selectors.product_list): no query per product.
    return {translation.language_code: translation for translation in product.translations.all()}


class MoneyField(serializers.DecimalField):
    """A price in the tenant's currency: any precision in, rounded by the service; out as a
    string with exactly the currency's decimals ("12.50" EUR, "1250" JPY, "1.250" KWD)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_digits=None, decimal_places=None, min_value=Decimal(0), max_value=MAX_PRICE, **kwargs
        )

    def to_representation(self, value: Any) -> str:
        return format(quantize_money(Decimal(value), self.context["currency"]), "f")


class TranslatedTextField(serializers.CharField):
    """In: the text in the answer's language. Out: the text in the answer's language, else the
    tenant's default language, else any language the product has."""

    def get_attribute(self, instance: Product) -> Product:
        # The whole product: parler's descriptor would raise (or query) for a missing language.
        return instance

    def to_representation(self, value: Any) -> str:
        preferred = (self.context["language"], self.context["tenant"].default_language)
        translation = pick_translation(_translations_of(value), preferred=preferred)
        return str(getattr(translation, str(self.field_name))) if translation is not None else ""


class ProductTranslationSerializer(StrictSerializer):
    """A product's name and description in one language."""

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(allow_blank=True, required=False)


class TranslationsField(serializers.DictField):
    """{language: {"name", "description"}} for the languages of settings.LANGUAGES. Written
    values are merged into the stored ones; a language set to null loses its translation."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=ProductTranslationSerializer(allow_null=True), **kwargs)

    def get_attribute(self, instance: Product) -> Product:
        return instance

    def to_representation(self, value: Any) -> dict[str, dict[str, str]]:
        translations = _translations_of(value)
        return {
            code: {"name": translations[code].name, "description": translations[code].description}
            for code in sorted(translations, key=lambda code: (code not in LANGUAGE_CODES, code))
        }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value: dict[str, Any] = super().to_internal_value(data)
        unsupported = {code: [_("Unsupported language.")] for code in value if code not in LANGUAGE_CODES}
        if unsupported:
            raise serializers.ValidationError(unsupported)
        return value


class ProductSerializer(StrictModelSerializer):
    """A top-level `name` / `description` writes the translation in the answer's language."""

    name = TranslatedTextField(max_length=200, required=False)
    description = TranslatedTextField(allow_blank=True, required=False)
    translations = TranslationsField(required=False)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects, allow_null=True, required=False)
    tax_rate = serializers.PrimaryKeyRelatedField(queryset=TaxRate.objects, allow_null=True, required=False)
    price = MoneyField(help_text="In the tenant's currency; rounded to its minor unit.")
    custom_fields = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        required=False,
        help_text="Values for the tenant's custom fields, by key; null removes a value.",
    )

    class Meta:
        model = Product
        fields: ClassVar = [
            "id",
            "sku",
            "barcode",
            "name",
            "description",
            "category",
            "price",
            "tax_rate",
            "track_stock",
            "is_active",
            "translations",
            "custom_fields",
            "change_seq",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar = ["id", "change_seq", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        text = {field: attrs.pop(field) for field in ("name", "description") if field in attrs}
        translations = dict(attrs.pop("translations", None) or {})
        if text:
            language = self.context["language"]
            translations[language] = {**(translations.get(language) or {}), **text}
        if translations or self.instance is None:
            attrs["translations"] = translations
        self._check_custom_fields(attrs)
        return attrs

    def _check_custom_fields(self, attrs: dict[str, Any]) -> None:
        """Every custom field problem at once, one error per key (the service re-checks)."""
        if self.instance is not None and "custom_fields" not in attrs:
            return  # stored values stay as they are
        existing = self.instance.custom_fields if self.instance is not None else {}
        errors = custom_field_errors(
            tenant=self.context["tenant"], values=attrs.get("custom_fields", {}), existing=existing
        )
        if errors:
            raise serializers.ValidationError(
                {"custom_fields": {key: [message] for key, message in errors.items()}}
            )
