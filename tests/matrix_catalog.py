"""Isolation and RBAC declarations for categories, tax rates, products and custom fields."""

from __future__ import annotations

from typing import Any

from cliqserve.catalog.models import Category, CustomFieldDefinition, Product, TaxRate
from conftest import TenantWorld, World
from tests.factories import CategoryFactory, ProductFactory, TaxRateFactory
from tests.matrix import Case, ListRoute, ObjectRoute, statuses

# --- One catalog row of each kind per tenant, made on first use and kept for the test --------
#
# Made lazily so that a case's body never creates a row of the table whose snapshot the RBAC
# test compares: targets are resolved before that snapshot, bodies after it.


def _once(tenant: TenantWorld, name: str, make: Any) -> Any:
    rows: dict[str, Any] = tenant.__dict__.setdefault("catalog_rows", {})
    if name not in rows:
        rows[name] = make()
    return rows[name]


def category(tenant: TenantWorld) -> Category:
    return _once(tenant, "category", lambda: CategoryFactory(tenant=tenant.tenant, name="Drinks"))


def tax_rate(tenant: TenantWorld) -> TaxRate:
    return _once(tenant, "tax_rate", lambda: TaxRateFactory(tenant=tenant.tenant, name="VAT"))


def product(tenant: TenantWorld) -> Product:
    return _once(tenant, "product", lambda: ProductFactory(tenant=tenant.tenant, sku="MATRIX-1", name="Tea"))


def custom_field(tenant: TenantWorld) -> CustomFieldDefinition:
    return _once(
        tenant,
        "custom_field",
        lambda: CustomFieldDefinition.objects.unscoped().create(
            tenant=tenant.tenant, key="origin", label="Origin", field_type="text"
        ),
    )


def empty_category(tenant: TenantWorld) -> Category:
    """A category nothing is in, so that DELETE may remove it."""
    return _once(tenant, "empty_category", lambda: CategoryFactory(tenant=tenant.tenant, name="Empty"))


def used_category(tenant: TenantWorld) -> Category:
    """A category with a product in it: DELETE is a conflict."""
    used = category(tenant)
    _once(tenant, "used", lambda: ProductFactory(tenant=tenant.tenant, sku="IN-CATEGORY", category=used))
    return used


# --- Bodies ---------------------------------------------------------------------------------


def _category_body(w: World) -> dict[str, Any]:
    return {"name": "Hot drinks"}


def _tax_rate_body(w: World) -> dict[str, Any]:
    return {"name": "Reduced VAT", "rate": "7.50", "inclusive": True}


def _product_body(w: World) -> dict[str, Any]:
    return {"sku": "NEW-1", "name": "Green tea", "price": "3.20", "track_stock": True}


def _custom_field_body(w: World) -> dict[str, Any]:
    return {"key": "roast", "label": "Roast", "field_type": "choice", "choices": ["light", "dark"]}


OBJECT_ROUTES: dict[str, ObjectRoute] = {
    "category-detail": ObjectRoute(Category, lambda w: category(w.b), _category_body),
    "tax-rate-detail": ObjectRoute(TaxRate, lambda w: tax_rate(w.b), _tax_rate_body),
    "product-detail": ObjectRoute(Product, lambda w: product(w.b), _product_body),
    "custom-field-detail": ObjectRoute(
        CustomFieldDefinition, lambda w: custom_field(w.b), _custom_field_body
    ),
}

LIST_ROUTES: dict[str, ListRoute] = {
    "category-list": ListRoute(lambda w: {category(w.a).pk}, lambda w: {category(w.b).pk}),
    "tax-rate-list": ListRoute(lambda w: {tax_rate(w.a).pk}, lambda w: {tax_rate(w.b).pk}),
    "product-list": ListRoute(lambda w: {product(w.a).pk}, lambda w: {product(w.b).pk}),
    "custom-field-list": ListRoute(lambda w: {custom_field(w.a).pk}, lambda w: {custom_field(w.b).pk}),
}

NO_TENANT_ROWS: dict[str, str] = {}  # catalog sync is declared in matrix_sync.py

# Every tenant role reads the catalog (tills sell from it); only the tenant admin writes it;
# the platform owner has no tenant and so no catalog.
READ = statuses(401, 200, 200, 200, 403)
CREATE = statuses(401, 403, 403, 201, 403)
UPDATE = statuses(401, 403, 403, 200, 403)
DELETE = statuses(401, 403, 403, 204, 403)


def _crud(
    name: str,
    model: type[Any],
    target: Any,
    body: Any,
    patch: dict[str, Any],
    *,
    put_body: Any = None,
    delete_target: Any = None,
) -> list[Case]:
    return [
        Case(f"{name}-list", "get", READ),
        Case(f"{name}-list", "post", CREATE, body=body, model=model),
        Case(f"{name}-detail", "get", READ, target=target),
        Case(f"{name}-detail", "put", UPDATE, target, put_body or body, model),
        Case(f"{name}-detail", "patch", UPDATE, target, lambda w: patch, model),
        Case(f"{name}-detail", "delete", DELETE, delete_target or target, model=model),
    ]


CASES: list[Case] = [
    *_crud(
        "category",
        Category,
        lambda w: category(w.a),
        _category_body,
        {"name": "Renamed"},
        delete_target=lambda w: empty_category(w.a),
    ),
    # A category that still holds products is a conflict, for the one role that may delete.
    Case(
        "category-detail",
        "delete",
        statuses(401, 403, 403, 409, 403),
        lambda w: used_category(w.a),
        model=Category,
    ),
    *_crud("tax-rate", TaxRate, lambda w: tax_rate(w.a), _tax_rate_body, {"rate": "12.00"}),
    *_crud("product", Product, lambda w: product(w.a), _product_body, {"price": "9.99"}),
    *_crud(
        "custom-field",
        CustomFieldDefinition,
        lambda w: custom_field(w.a),
        _custom_field_body,
        {"label": "X"},
        # key and type are fixed once created: a full update restates them.
        put_body=lambda w: {
            "key": "origin",
            "label": "Origin of beans",
            "field_type": "text",
            "required": True,
        },
    ),
]

COVERED_ELSEWHERE: set[str] = set()
