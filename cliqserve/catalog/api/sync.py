"""GET /api/v1/sync/catalog/?cursor=N — what a device must apply to be current."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.serializers import StrictSerializer
from cliqserve.core.api.views import PolicyAPIView
from cliqserve.core.money import quantize_money
from cliqserve.core.roles import TENANT_ROLES

from ..sync import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SyncPage, catalog_changes
from .caching import catalog_answer
from .language import catalog_language


class SyncQuerySerializer(StrictSerializer):
    cursor = serializers.IntegerField(
        min_value=0, default=0, help_text="next_cursor of the last page; 0 at first."
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)


class TranslationSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    description = serializers.CharField()


class SyncedProductSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    sku = serializers.CharField()
    barcode = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language, else the tenant's default.")
    description = serializers.CharField()
    category = serializers.UUIDField(allow_null=True)
    price = serializers.CharField(help_text="Decimal string in the tenant's currency.")
    tax_rate = serializers.UUIDField(allow_null=True)
    track_stock = serializers.BooleanField()
    is_active = serializers.BooleanField()
    custom_fields = serializers.DictField()
    translations = serializers.DictField(child=TranslationSerializer())
    change_seq = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class SyncedCategorySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    parent = serializers.UUIDField(allow_null=True)  # type: ignore[assignment]  # popped by DRF
    is_active = serializers.BooleanField()
    change_seq = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class SyncedTaxRateSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    inclusive = serializers.BooleanField()
    is_active = serializers.BooleanField()
    change_seq = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class DeletedSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["product", "category", "tax_rate"])
    id = serializers.UUIDField()
    change_seq = serializers.IntegerField()


class CatalogSyncSerializer(serializers.Serializer[Any]):
    products = SyncedProductSerializer(many=True)
    categories = SyncedCategorySerializer(many=True)
    tax_rates = SyncedTaxRateSerializer(many=True)
    deleted = DeletedSerializer(many=True)
    next_cursor = serializers.IntegerField(help_text="Pass back as ?cursor= next time.")
    has_more = serializers.BooleanField(help_text="Fetch again at once with next_cursor.")


def _timestamp(value: datetime) -> str:
    # The same form DRF's DateTimeField gives every other endpoint.
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _product(row: dict[str, Any], *, languages: list[str], currency: str) -> dict[str, Any]:
    translations = row["translations"]
    chosen = next((translations[lang] for lang in languages if lang in translations), None)
    chosen = chosen or next(iter(translations.values()), {"name": "", "description": ""})
    return {
        "id": str(row["id"]),
        "sku": row["sku"],
        "barcode": row["barcode"],
        "name": chosen["name"],
        "description": chosen["description"],
        "category": _id(row["category_id"]),
        "price": str(quantize_money(row["price"], currency)),
        "tax_rate": _id(row["tax_rate_id"]),
        "track_stock": row["track_stock"],
        "is_active": row["is_active"],
        "custom_fields": row["custom_fields"],
        "translations": translations,
        "change_seq": row["change_seq"],
        "updated_at": _timestamp(row["updated_at"]),
    }


def _category(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "parent": _id(row["parent_id"]),
        "is_active": row["is_active"],
        "change_seq": row["change_seq"],
        "updated_at": _timestamp(row["updated_at"]),
    }


def _tax_rate(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "id": str(row["id"]),
        "rate": str(row["rate"]),
        "updated_at": _timestamp(row["updated_at"]),
    }


def _deleted(row: dict[str, Any]) -> dict[str, Any]:
    return {"kind": row["kind"], "id": str(row["object_id"]), "change_seq": row["change_seq"]}


def render_page(page: SyncPage, *, languages: list[str], currency: str) -> dict[str, Any]:
    """The page as JSON-ready data, built by hand: DRF serializers cost ~60% of a large page.
    CatalogSyncSerializer documents exactly this shape (a test holds the two together)."""
    return {
        "products": [_product(row, languages=languages, currency=currency) for row in page.products],
        "categories": [_category(row) for row in page.categories],
        "tax_rates": [_tax_rate(row) for row in page.tax_rates],
        "deleted": [_deleted(row) for row in page.deleted],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }


class CatalogSyncView(PolicyAPIView):
    """Catalog changes after a cursor, for devices (contract: GET /api/v1/sync/catalog/)."""

    policy: ClassVar = {"get": TENANT_ROLES}
    revalidated: ClassVar[bool] = True

    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", int, description="next_cursor from the last page; 0 for a full sync."),
            OpenApiParameter("limit", int, description=f"Changes per page, at most {MAX_PAGE_SIZE}."),
        ],
        responses={200: CatalogSyncSerializer},
        summary="Catalog changes since a cursor (deactivations and deletions included).",
    )
    def get(self, request: Request) -> Response:
        query = SyncQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        tenant = self.tenant
        cursor, limit = query.validated_data["cursor"], query.validated_data["limit"]

        def page() -> dict[str, Any]:
            changes = catalog_changes(tenant_id=tenant.pk, cursor=cursor, limit=limit)
            # The client's language, else the tenant's default (not Django's), else any translation.
            languages = [catalog_language(request, default=tenant.default_language), tenant.default_language]
            return render_page(changes, languages=languages, currency=tenant.currency)

        return catalog_answer(request, tenant=tenant, data=page)
