"""The catalog over HTTP, as a back office and a till use it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cliqserve.catalog.models import CatalogTombstone, Category, Product, ProductTranslation, TaxRate
from cliqserve.tenants.models import Tenant
from conftest import client_for
from tests.factories import CategoryFactory, TaxRateFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def detail(route: str, pk) -> str:
    return reverse(route, args=[pk])


def set_tenant(tenant, **fields) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(**fields)


@pytest.fixture
def admin(world):
    return client_for(world.a.tenant_admin)


def create_product(client, *, language: str | None = None, **body):
    body.setdefault("sku", "COF-1")
    body.setdefault("price", "2.50")
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = client.post(PRODUCTS, body, format="json", **headers)
    assert response.status_code == 201, response.content
    return response.json()


TRANSLATED = {
    "en": {"name": "Coffee", "description": "Hot and black"},
    "es": {"name": "Café", "description": "Caliente y negro"},
    "fr": {"name": "Café crème", "description": ""},
}


# --- Languages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name", "description"),
    [
        ("es", "Café", "Caliente y negro"),
        ("es-MX,es;q=0.9", "Café", "Caliente y negro"),
        ("de-DE, fr;q=0.8", "Café crème", ""),
        ("en", "Coffee", "Hot and black"),
    ],
)
def test_answer_speaks_the_accept_language(world, admin, header, name, description):
    product = create_product(admin, translations=TRANSLATED)

    response = client_for(world.a.cashier).get(
        detail("product-detail", product["id"]), HTTP_ACCEPT_LANGUAGE=header
    )

    assert (response.json()["name"], response.json()["description"]) == (name, description)
    assert response.json()["translations"] == TRANSLATED


@pytest.mark.parametrize("header", [None, "de", "fr;q=0"])
def test_without_a_usable_language_the_tenants_default_answers(world, admin, header):
    set_tenant(world.a.tenant, default_language="es")
    product = create_product(admin, translations=TRANSLATED)
    headers = {"HTTP_ACCEPT_LANGUAGE": header} if header else {}

    response = admin.get(detail("product-detail", product["id"]), **headers)

    assert response.json()["name"] == "Café"


def test_a_missing_translation_falls_back_to_the_default_language_then_any(world, admin):
    set_tenant(world.a.tenant, default_language="fr")
    both = create_product(admin, sku="A", translations={"en": {"name": "Tea"}, "fr": {"name": "Thé"}})
    spanish_only = create_product(admin, sku="B", translations={"es": {"name": "Mate"}})

    assert admin.get(detail("product-detail", both["id"]), HTTP_ACCEPT_LANGUAGE="es").json()["name"] == "Thé"
    assert (
        admin.get(detail("product-detail", spanish_only["id"]), HTTP_ACCEPT_LANGUAGE="en").json()["name"]
        == "Mate"
    )


def test_top_level_name_writes_the_request_language_else_the_tenant_default(world, admin):
    set_tenant(world.a.tenant, default_language="fr")
    spanish = create_product(admin, sku="A", language="es", name="Café", description="Negro")
    default = create_product(admin, sku="B", name="Thé")

    assert spanish["translations"] == {"es": {"name": "Café", "description": "Negro"}}
    assert default["translations"] == {"fr": {"name": "Thé", "description": ""}}

    # A later English name adds a language; the Spanish one stays.
    renamed = admin.patch(
        detail("product-detail", spanish["id"]), {"name": "Coffee"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert renamed.json()["translations"] == {
        "en": {"name": "Coffee", "description": ""},
        "es": {"name": "Café", "description": "Negro"},
    }
    assert renamed.json()["name"] == "Coffee"


def test_a_product_without_any_name_is_refused(admin):
    response = admin.post(PRODUCTS, {"sku": "X", "price": "1"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/name"
    assert not Product.objects.unscoped().exists()


def test_unsupported_translation_language_is_refused_with_its_pointer(admin):
    response = admin.post(
        PRODUCTS, {"sku": "X", "price": "1", "translations": {"de": {"name": "Kaffee"}}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/translations/de"


# --- Search and filters ---------------------------------------------------------------------


@pytest.fixture
def shelf(world, admin):
    hot = CategoryFactory(tenant=world.a.tenant, name="Hot")
    tea = CategoryFactory(tenant=world.a.tenant, name="Tea", parent=hot)
    return {
        "coffee": create_product(
            admin, sku="COF-1", barcode="4006381333931", category=str(hot.pk), translations=TRANSLATED
        ),
        "tea": create_product(
            admin,
            sku="TEA-1",
            category=str(tea.pk),
            translations={"en": {"name": "Tea"}, "es": {"name": "Té"}},
        ),
        "cafe_sku": create_product(admin, sku="CAFE-99", translations={"en": {"name": "Mug"}}),
        "hot": hot,
        "tea_category": tea,
    }


def listed(client, **params) -> set[str]:
    headers = {}
    if "language" in params:
        headers["HTTP_ACCEPT_LANGUAGE"] = params.pop("language")
    response = client.get(PRODUCTS, params, **headers)
    assert response.status_code == 200, response.content
    ids = [row["id"] for row in response.json()["results"]]
    assert len(ids) == len(set(ids)), "a product was listed twice"
    return set(ids)


def test_search_matches_the_name_in_the_request_language(world, shelf):
    cashier = client_for(world.a.cashier)

    assert listed(cashier, search="té", language="es") == {shelf["tea"]["id"]}
    assert listed(cashier, search="té", language="en") == set()
    # "caf" is in the Spanish name of the coffee and in another product's sku: each listed once.
    assert listed(cashier, search="caf", language="es") == {shelf["coffee"]["id"], shelf["cafe_sku"]["id"]}
    assert listed(cashier, search="caf", language="en") == {shelf["cafe_sku"]["id"]}


def test_search_matches_sku_case_insensitively_and_barcode_exactly(world, shelf):
    cashier = client_for(world.a.cashier)

    assert listed(cashier, search="tea-") == {shelf["tea"]["id"]}
    assert listed(cashier, search="4006381333931") == {shelf["coffee"]["id"]}
    assert listed(cashier, search="400638133393") == set()
    assert listed(cashier, barcode="4006381333931") == {shelf["coffee"]["id"]}


def test_category_filter_is_direct_membership_only(world, shelf):
    admin = client_for(world.a.tenant_admin)

    assert listed(admin, category=shelf["hot"].pk) == {shelf["coffee"]["id"]}
    assert listed(admin, category=shelf["tea_category"].pk) == {shelf["tea"]["id"]}


def test_is_active_filter_and_delete_deactivates(world, shelf):
    admin = client_for(world.a.tenant_admin)

    response = admin.delete(detail("product-detail", shelf["tea"]["id"]))

    assert response.status_code == 204
    assert listed(admin, is_active="false") == {shelf["tea"]["id"]}
    assert shelf["tea"]["id"] not in listed(admin, is_active="true")
    assert admin.get(detail("product-detail", shelf["tea"]["id"])).json()["is_active"] is False


def test_filters_with_another_tenants_ids_find_nothing(world, shelf):
    foreign = CategoryFactory(tenant=world.b.tenant)
    for role in ("tenant_admin", "branch_manager", "cashier"):
        client = client_for(world.a.user(role))
        assert listed(client, category=foreign.pk) == set()
        response = client.get(reverse("category-list"), {"parent": foreign.pk})
        assert response.json()["results"] == []


def test_category_parent_filter(world, shelf):
    response = client_for(world.a.cashier).get(reverse("category-list"), {"parent": shelf["hot"].pk})

    assert [row["id"] for row in response.json()["results"]] == [str(shelf["tea_category"].pk)]


# --- Prices ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "given", "answered"),
    [("EUR", "12.345", "12.35"), ("EUR", "3", "3.00"), ("JPY", "1250.5", "1251"), ("KWD", "1.2345", "1.235")],
)
def test_price_is_answered_with_the_currencys_decimals(world, admin, currency, given, answered):
    set_tenant(world.a.tenant, currency=currency)

    created = create_product(admin, name="Coffee", price=given)

    assert created["price"] == answered
    assert admin.get(detail("product-detail", created["id"])).json()["price"] == answered
    assert Product.objects.unscoped().get(pk=created["id"]).price == Decimal(answered)


@pytest.mark.parametrize("price", ["-0.01", "abc", "NaN", "99999999999", None])
def test_bad_prices_are_refused(admin, price):
    response = admin.post(PRODUCTS, {"sku": "X", "name": "X", "price": price}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/price"
    assert not Product.objects.unscoped().exists()


# --- Uniqueness and references --------------------------------------------------------------


def test_duplicate_sku_and_barcode_are_400_on_their_field(admin):
    create_product(admin, sku="Cof-1", barcode="123", name="Coffee")

    sku = admin.post(PRODUCTS, {"sku": "COF-1", "price": "1", "name": "X"}, format="json")
    barcode = admin.post(
        PRODUCTS, {"sku": "OTHER", "barcode": "123", "price": "1", "name": "X"}, format="json"
    )

    assert (sku.status_code, sku.json()["errors"][0]["source"]["pointer"]) == (400, "/sku")
    assert (barcode.status_code, barcode.json()["errors"][0]["source"]["pointer"]) == (400, "/barcode")
    assert Product.objects.unscoped().count() == 1


def test_references_to_another_tenants_rows_are_refused(world, admin):
    foreign_category = CategoryFactory(tenant=world.b.tenant)
    foreign_rate = TaxRateFactory(tenant=world.b.tenant)

    category = admin.post(
        PRODUCTS, {"sku": "A", "price": "1", "name": "A", "category": str(foreign_category.pk)}, format="json"
    )
    tax_rate = admin.post(
        PRODUCTS, {"sku": "B", "price": "1", "name": "B", "tax_rate": str(foreign_rate.pk)}, format="json"
    )
    parent = admin.post(
        reverse("category-list"), {"name": "C", "parent": str(foreign_category.pk)}, format="json"
    )

    assert category.json()["errors"][0]["source"]["pointer"] == "/category"
    assert tax_rate.json()["errors"][0]["source"]["pointer"] == "/tax_rate"
    assert parent.json()["errors"][0]["source"]["pointer"] == "/parent"
    assert {r.status_code for r in (category, tax_rate, parent)} == {400}
    assert not Product.objects.unscoped().filter(tenant=world.a.tenant).exists()
    assert not Category.objects.unscoped().filter(tenant=world.a.tenant).exists()


# --- Strict input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"change_seq": 999}, "/change_seq"),
        ({"id": "00000000-0000-0000-0000-000000000001"}, "/id"),
        ({"tenant": "00000000-0000-0000-0000-000000000001"}, "/tenant"),
        ({"colour": "red"}, "/colour"),
        ({"translations": {"en": {"name": "X", "slogan": "Y"}}}, "/translations/en/slogan"),
    ],
)
def test_unknown_and_read_only_fields_are_refused_and_change_nothing(world, admin, body, pointer):
    product = create_product(admin, name="Coffee")
    url = detail("product-detail", product["id"])
    before = Product.objects.unscoped().filter(pk=product["id"]).values().get()
    names_before = list(ProductTranslation.objects.filter(master_id=product["id"]).values())

    created = admin.post(PRODUCTS, {"sku": "NEW", "price": "1", "name": "New", **body}, format="json")
    patched = admin.patch(url, {"price": "9", **body}, format="json")

    for response in (created, patched):
        assert response.status_code == 400
        assert pointer in {error["source"]["pointer"] for error in response.json()["errors"]}
    assert Product.objects.unscoped().count() == 1
    assert Product.objects.unscoped().filter(pk=product["id"]).values().get() == before
    assert list(ProductTranslation.objects.filter(master_id=product["id"]).values()) == names_before


# --- Categories and tax rates ---------------------------------------------------------------


def test_category_cycle_is_refused_over_http(admin):
    root = admin.post(reverse("category-list"), {"name": "Root"}, format="json").json()
    child = admin.post(
        reverse("category-list"), {"name": "Child", "parent": root["id"]}, format="json"
    ).json()

    own = admin.patch(detail("category-detail", root["id"]), {"parent": root["id"]}, format="json")
    loop = admin.patch(detail("category-detail", root["id"]), {"parent": child["id"]}, format="json")

    for response in (own, loop):
        assert response.status_code == 400
        assert response.json()["errors"][0]["source"]["pointer"] == "/parent"
    assert Category.objects.unscoped().get(pk=root["id"]).parent_id is None


def test_category_delete_conflicts_while_in_use_then_leaves_a_tombstone(world, admin):
    category = admin.post(reverse("category-list"), {"name": "Hot"}, format="json").json()
    product = create_product(admin, name="Coffee", category=category["id"])
    url = detail("category-detail", category["id"])

    in_use = admin.delete(url)
    admin.patch(detail("product-detail", product["id"]), {"category": None}, format="json")
    deleted = admin.delete(url)

    assert (in_use.status_code, in_use.json()["errors"][0]["code"]) == (409, "conflict")
    assert deleted.status_code == 204
    assert admin.get(url).status_code == 404
    tombstone = CatalogTombstone.objects.unscoped().get(object_id=category["id"])
    assert tombstone.kind == "category"
    assert tombstone.change_seq > admin.get(detail("product-detail", product["id"])).json()["change_seq"]


def test_tax_rate_over_http(world, admin):
    url = reverse("tax-rate-list")
    created = admin.post(url, {"name": "VAT", "rate": "15.5", "inclusive": True}, format="json")
    too_high = admin.post(url, {"name": "X", "rate": "100.01"}, format="json")
    too_precise = admin.post(url, {"name": "X", "rate": "1.005"}, format="json")
    deleted = admin.delete(detail("tax-rate-detail", created.json()["id"]))

    assert created.status_code == 201
    assert (created.json()["rate"], created.json()["inclusive"]) == ("15.50", True)
    for response in (too_high, too_precise):
        assert response.status_code == 400
        assert response.json()["errors"][0]["source"]["pointer"] == "/rate"
    assert deleted.status_code == 204
    rate = client_for(world.a.cashier).get(detail("tax-rate-detail", created.json()["id"])).json()
    assert rate["is_active"] is False
    assert rate["change_seq"] > created.json()["change_seq"]
    active = admin.get(url, {"is_active": "true"}).json()["results"]
    assert active == []
    assert TaxRate.objects.unscoped().count() == 1


def test_change_seq_grows_with_every_write_over_http(admin):
    product = create_product(admin, name="Coffee")
    url = detail("product-detail", product["id"])

    patched = admin.patch(url, {"price": "3"}, format="json").json()
    put = admin.put(url, {"sku": "COF-1", "price": "4", "name": "Coffee"}, format="json").json()
    admin.delete(url)
    deleted = admin.get(url).json()

    assert product["change_seq"] < patched["change_seq"] < put["change_seq"] < deleted["change_seq"]
