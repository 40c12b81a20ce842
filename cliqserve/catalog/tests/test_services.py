"""Catalog services: the rules of categories, tax rates and products, and the change numbers
that devices sync by."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cliqserve.catalog import services
from cliqserve.catalog.models import CatalogTombstone, Category, Product, ProductTranslation, TaxRate
from cliqserve.core.errors import Conflict, InvalidInput
from cliqserve.tenants.models import Tenant
from tests.factories import CategoryFactory, TaxRateFactory

from .helpers import counter, make_product


def admin_of(a):
    return {"tenant": a.tenant, "actor": a.tenant_admin}


# --- Categories -----------------------------------------------------------------------------


def test_category_tree_is_built_under_the_tenants_own_parent(in_tenant_a):
    a = in_tenant_a
    drinks = services.category_create(**admin_of(a), name="Drinks")
    hot = services.category_create(**admin_of(a), name="Hot", parent=drinks)

    assert Category.objects.get(pk=hot.pk).parent == drinks


def test_category_parent_of_another_tenant_is_refused(in_tenant_a, world):
    foreign = CategoryFactory(tenant=world.b.tenant)

    with pytest.raises(InvalidInput) as error:
        services.category_create(**admin_of(in_tenant_a), name="Sneaky", parent=foreign)

    assert error.value.pointer == "/parent"
    assert not Category.objects.filter(name="Sneaky").exists()


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_a_category_cannot_become_its_own_ancestor(in_tenant_a, depth):
    a = in_tenant_a
    root = services.category_create(**admin_of(a), name="Root")
    leaf = root
    for level in range(depth):
        leaf = services.category_create(**admin_of(a), name=f"Level {level}", parent=leaf)

    with pytest.raises(InvalidInput) as error:
        services.category_update(**admin_of(a), category=root, parent=leaf)

    assert error.value.pointer == "/parent"
    root.refresh_from_db()
    assert root.parent is None


def test_moving_a_category_elsewhere_in_the_tree_is_fine(in_tenant_a):
    a = in_tenant_a
    left = services.category_create(**admin_of(a), name="Left")
    right = services.category_create(**admin_of(a), name="Right")
    child = services.category_create(**admin_of(a), name="Child", parent=left)

    services.category_update(**admin_of(a), category=child, parent=right)

    assert Category.objects.get(pk=child.pk).parent_id == right.pk


def test_deleting_a_category_with_children_or_products_is_a_conflict(in_tenant_a):
    a = in_tenant_a
    parent = services.category_create(**admin_of(a), name="Parent")
    services.category_create(**admin_of(a), name="Child", parent=parent)
    stocked = services.category_create(**admin_of(a), name="Stocked")
    make_product(a, category=stocked)
    before = counter(a.tenant)

    for category in (parent, stocked):
        with pytest.raises(Conflict):
            services.category_delete(**admin_of(a), category=category)

    assert Category.objects.filter(pk__in=[parent.pk, stocked.pk]).count() == 2
    assert not CatalogTombstone.objects.exists()
    assert counter(a.tenant) == before  # a refused write takes no change number


def test_deleting_an_empty_category_leaves_a_numbered_tombstone(in_tenant_a):
    a = in_tenant_a
    category = services.category_create(**admin_of(a), name="Seasonal")
    category_id = category.pk

    services.category_delete(**admin_of(a), category=category)

    assert not Category.objects.filter(pk=category_id).exists()
    tombstone = CatalogTombstone.objects.get()
    assert (tombstone.kind, tombstone.object_id, tombstone.tenant_id) == (
        "category",
        category_id,
        a.tenant.pk,
    )
    assert tombstone.change_seq == counter(a.tenant) > category.change_seq


# --- Tax rates ------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", ["-0.01", "100.01", "12.345"])
def test_tax_rate_outside_0_to_100_with_two_decimals_is_refused(in_tenant_a, rate):
    with pytest.raises(InvalidInput) as error:
        services.tax_rate_create(**admin_of(in_tenant_a), name="Bad", rate=Decimal(rate))

    assert error.value.pointer == "/rate"
    assert not TaxRate.objects.exists()


@pytest.mark.parametrize("rate", ["0", "7.5", "100.00"])
def test_tax_rate_bounds_are_inclusive(in_tenant_a, rate):
    tax_rate = services.tax_rate_create(**admin_of(in_tenant_a), name="VAT", rate=Decimal(rate))

    assert TaxRate.objects.get(pk=tax_rate.pk).rate == Decimal(rate)


def test_deactivated_tax_rate_stays_on_its_products(in_tenant_a):
    a = in_tenant_a
    vat = services.tax_rate_create(**admin_of(a), name="VAT", rate=Decimal("21"))
    product = make_product(a, tax_rate=vat)

    services.tax_rate_deactivate(**admin_of(a), tax_rate=vat)

    assert TaxRate.objects.get(pk=vat.pk).is_active is False
    assert Product.objects.get(pk=product.pk).tax_rate_id == vat.pk
    # ...and such a product can still be edited, but nothing new may be put on the old rate.
    services.product_update(**admin_of(a), product=Product.objects.get(pk=product.pk), price="3")
    with pytest.raises(InvalidInput) as error:
        make_product(a, sku="NEW", tax_rate=vat)
    assert error.value.pointer == "/tax_rate"


# --- Products -------------------------------------------------------------------------------


def test_sku_is_unique_per_tenant_case_insensitively(in_tenant_a, world):
    a = in_tenant_a
    make_product(a, sku="Cof-1")

    with pytest.raises(InvalidInput) as error:
        make_product(a, sku="cOF-1")

    assert error.value.pointer == "/sku"
    assert Product.objects.count() == 1


def test_the_same_sku_is_fine_in_another_tenant(in_tenant_a, world):
    make_product(in_tenant_a, sku="COF-1")

    from cliqserve.core.tenancy import tenant_scope

    with tenant_scope(world.b.tenant.pk):
        make_product(world.b, sku="COF-1")

    assert Product.objects.unscoped().filter(sku="COF-1").count() == 2


def test_barcode_is_unique_per_tenant_when_set(in_tenant_a):
    a = in_tenant_a
    make_product(a, sku="A", barcode="4006381333931")
    make_product(a, sku="B")
    make_product(a, sku="C")  # many products without a barcode are fine

    with pytest.raises(InvalidInput) as error:
        make_product(a, sku="D", barcode="4006381333931")

    assert error.value.pointer == "/barcode"
    assert not Product.objects.filter(sku="D").exists()


def test_updating_to_a_taken_sku_is_refused_and_changes_nothing(in_tenant_a):
    a = in_tenant_a
    make_product(a, sku="TAKEN")
    product = make_product(a, sku="MINE")
    before = counter(a.tenant)

    with pytest.raises(InvalidInput) as error:
        services.product_update(**admin_of(a), product=product, sku="taken", price="9")

    assert error.value.pointer == "/sku"
    stored = Product.objects.get(pk=product.pk)
    assert (stored.sku, stored.price) == ("MINE", Decimal("2.500"))
    assert counter(a.tenant) == before


@pytest.mark.parametrize(
    ("currency", "given", "stored"),
    [
        ("EUR", "12.345", "12.35"),
        ("EUR", "0.004", "0.00"),
        ("JPY", "1250.5", "1251"),
        ("JPY", "1250.4", "1250"),
        ("KWD", "1.2345", "1.235"),
    ],
)
def test_price_is_rounded_half_up_to_the_currency(in_tenant_a, currency, given, stored):
    Tenant.objects.filter(pk=in_tenant_a.tenant.pk).update(currency=currency)
    in_tenant_a.tenant.refresh_from_db()

    product = make_product(in_tenant_a, price=Decimal(given))

    assert Product.objects.get(pk=product.pk).price == Decimal(stored)


def test_negative_price_is_refused(in_tenant_a):
    with pytest.raises(InvalidInput) as error:
        make_product(in_tenant_a, price="-0.01")

    assert error.value.pointer == "/price"


def test_category_and_tax_rate_must_be_the_tenants_own(in_tenant_a, world):
    foreign_category = CategoryFactory(tenant=world.b.tenant)
    foreign_rate = TaxRateFactory(tenant=world.b.tenant)

    for field, value in (("category", foreign_category), ("tax_rate", foreign_rate)):
        with pytest.raises(InvalidInput) as error:
            make_product(in_tenant_a, sku=f"X-{field}", **{field: value})
        assert error.value.pointer == f"/{field}"

    assert not Product.objects.exists()


def test_a_product_needs_a_name_in_some_language(in_tenant_a):
    with pytest.raises(InvalidInput) as error:
        make_product(in_tenant_a, translations={})

    assert error.value.pointer == "/name"
    assert not Product.objects.exists()


def test_translations_merge_and_a_language_set_to_none_is_removed(in_tenant_a):
    a = in_tenant_a
    product = make_product(
        a, translations={"en": {"name": "Coffee", "description": "Hot"}, "es": {"name": "Café"}}
    )

    services.product_update(
        **admin_of(a), product=product, translations={"en": {"description": "Very hot"}, "es": None}
    )

    rows = {
        t.language_code: (t.name, t.description) for t in ProductTranslation.objects.filter(master=product)
    }
    assert rows == {"en": ("Coffee", "Very hot")}
    assert {t.translation_tenant_id for t in ProductTranslation.objects.filter(master=product)} == {
        a.tenant.pk
    }


def test_removing_the_last_translation_is_refused(in_tenant_a):
    a = in_tenant_a
    product = make_product(a, translations={"en": {"name": "Coffee"}})

    with pytest.raises(InvalidInput):
        services.product_update(**admin_of(a), product=product, translations={"en": None})

    assert ProductTranslation.objects.filter(master=product).count() == 1


def test_a_new_translation_needs_a_name_and_a_known_language(in_tenant_a):
    a = in_tenant_a
    product = make_product(a)

    with pytest.raises(InvalidInput) as no_name:
        services.product_update(**admin_of(a), product=product, translations={"fr": {"description": "x"}})
    with pytest.raises(InvalidInput) as unknown:
        services.product_update(**admin_of(a), product=product, translations={"de": {"name": "Kaffee"}})

    assert no_name.value.pointer == "/translations/fr/name"
    assert unknown.value.pointer == "/translations/de"


def test_every_catalog_write_takes_a_strictly_greater_change_number(in_tenant_a):
    a = in_tenant_a
    seen: list[int] = []

    category = services.category_create(**admin_of(a), name="Drinks")
    seen.append(category.change_seq)
    seen.append(services.category_update(**admin_of(a), category=category, name="Beverages").change_seq)
    vat = services.tax_rate_create(**admin_of(a), name="VAT", rate=Decimal("10"))
    seen.append(vat.change_seq)
    seen.append(services.tax_rate_deactivate(**admin_of(a), tax_rate=vat).change_seq)
    product = make_product(a, category=category)
    seen.append(product.change_seq)
    seen.append(services.product_update(**admin_of(a), product=product, price="3").change_seq)
    seen.append(services.product_deactivate(**admin_of(a), product=product).change_seq)
    empty = services.category_create(**admin_of(a), name="Empty")
    seen.append(empty.change_seq)
    empty_id = empty.pk
    services.category_delete(**admin_of(a), category=empty)
    seen.append(CatalogTombstone.objects.get(object_id=empty_id).change_seq)

    assert seen == sorted(set(seen)), "change numbers must strictly increase"
    assert seen[-1] == counter(a.tenant)
    stored = Product.objects.get(pk=product.pk)
    assert (stored.is_active, stored.change_seq) == (False, seen[6])
