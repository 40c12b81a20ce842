"""Custom product fields: definitions by the tenant admin, values checked one error per field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cliqserve.catalog import custom_fields
from cliqserve.catalog.models import CustomFieldDefinition, Product
from cliqserve.core.errors import InvalidInput
from cliqserve.core.tenancy import tenant_scope
from conftest import client_for

from .helpers import make_product

pytestmark = pytest.mark.django_db


def define(a, key: str, field_type: str, **fields):
    return custom_fields.custom_field_create(
        tenant=a.tenant, actor=a.tenant_admin, key=key, label=key.title(), field_type=field_type, **fields
    )


@pytest.fixture
def fields(world):
    """Tenant A's definitions, one of every type; `origin` is required. Made in A's scope,
    which is left again: HTTP tests must get theirs from the request."""
    a = world.a
    with tenant_scope(a.tenant.pk):
        return {
            "origin": define(a, "origin", "text", required=True),
            "weight": define(a, "weight", "number"),
            "organic": define(a, "organic", "boolean"),
            "harvested": define(a, "harvested", "date"),
            "roast": define(a, "roast", "choice", choices=["light", "dark"]),
        }


# --- Definitions ----------------------------------------------------------------------------


def test_key_is_unique_per_tenant(in_tenant_a, world):
    define(in_tenant_a, "origin", "text")

    with pytest.raises(InvalidInput) as error:
        define(in_tenant_a, "origin", "number")

    assert error.value.pointer == "/key"
    assert CustomFieldDefinition.objects.count() == 1


@pytest.mark.parametrize(
    ("field_type", "choices", "pointer"),
    [
        ("choice", [], "/choices"),
        ("choice", ["ok", ""], "/choices/1"),
        ("choice", ["ok", 3], "/choices/1"),
        ("choice", ["same", "same"], "/choices"),
        ("text", ["stray"], "/choices"),
    ],
)
def test_choices_belong_to_choice_fields_only_and_are_strings(in_tenant_a, field_type, choices, pointer):
    with pytest.raises(InvalidInput) as error:
        define(in_tenant_a, "roast", field_type, choices=choices)

    assert error.value.pointer == pointer
    assert not CustomFieldDefinition.objects.exists()


def test_key_and_type_are_fixed_once_created(in_tenant_a):
    a = in_tenant_a
    definition = define(a, "origin", "text")

    for change in ({"key": "source"}, {"field_type": "number"}):
        with pytest.raises(InvalidInput):
            custom_fields.custom_field_update(
                tenant=a.tenant, actor=a.tenant_admin, definition=definition, **change
            )

    updated = custom_fields.custom_field_update(
        tenant=a.tenant, actor=a.tenant_admin, definition=definition, label="Country of origin", required=True
    )
    assert (updated.key, updated.field_type, updated.label) == ("origin", "text", "Country of origin")


# --- Values ---------------------------------------------------------------------------------


def test_valid_values_are_stored_in_json_safe_form(in_tenant_a, fields):
    product = make_product(
        in_tenant_a,
        custom_fields={
            "origin": "Peru",
            "weight": 0.25,
            "organic": True,
            "harvested": "2026-03-01",
            "roast": "dark",
        },
    )

    assert Product.objects.get(pk=product.pk).custom_fields == {
        "origin": "Peru",
        "weight": "0.25",  # a decimal string, never a float
        "organic": True,
        "harvested": "2026-03-01",
        "roast": "dark",
    }


def test_every_bad_value_is_reported_once_under_its_own_key(in_tenant_a, fields):
    with pytest.raises(custom_fields.CustomFieldsInvalid) as error:
        make_product(
            in_tenant_a,
            custom_fields={
                "weight": "heavy",
                "organic": "yes",
                "harvested": "2026-02-30",
                "roast": "medium",
                "colour": "red",
            },
        )

    assert set(error.value.errors) == {"origin", "weight", "organic", "harvested", "roast", "colour"}
    assert error.value.errors["colour"] == "Unknown custom field."
    assert error.value.errors["origin"] == "This field is required."
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("weight", 3, True),
        ("weight", "1.50", True),
        ("weight", True, False),
        ("weight", "NaN", False),
        ("weight", "1e30", False),
        ("weight", [1], False),
        ("organic", False, True),
        ("organic", 1, False),
        ("harvested", "2026-01-31", True),
        ("harvested", "20260131", False),
        ("harvested", 20260131, False),
        ("origin", "x" * 1000, True),
        ("origin", "x" * 1001, False),
        ("origin", 12, False),
        ("roast", "light", True),
        ("roast", "Light", False),
    ],
)
def test_each_type_accepts_its_own_values_only(in_tenant_a, fields, key, value, ok):
    values = {"origin": "Peru", key: value}
    errors = custom_fields.custom_field_errors(tenant=in_tenant_a.tenant, values=values, existing={})

    assert (key not in errors) is ok


def test_a_deactivated_definition_takes_no_new_values_but_keeps_old_ones(in_tenant_a, fields):
    a = in_tenant_a
    product = make_product(a, custom_fields={"origin": "Peru", "roast": "dark"})
    custom_fields.custom_field_deactivate(tenant=a.tenant, actor=a.tenant_admin, definition=fields["roast"])

    errors = custom_fields.custom_field_errors(tenant=a.tenant, values={"roast": "light"}, existing={})

    assert errors["roast"] == "Unknown custom field."
    assert Product.objects.get(pk=product.pk).custom_fields["roast"] == "dark"


# --- Over HTTP ------------------------------------------------------------------------------


def product_body(**overrides):
    return {"sku": "COF-1", "price": "2.50", "name": "Coffee", **overrides}


def test_api_reports_one_error_per_custom_field_with_its_pointer(world, fields):
    response = client_for(world.a.tenant_admin).post(
        reverse("product-list"),
        product_body(custom_fields={"weight": "heavy", "roast": "medium", "colour/shade": "red"}),
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    pointers = sorted(error["source"]["pointer"] for error in errors)
    assert pointers == [
        "/custom_fields/colour~1shade",  # JSON pointer escaping of "/"
        "/custom_fields/origin",
        "/custom_fields/roast",
        "/custom_fields/weight",
    ]
    assert {error["code"] for error in errors} == {"validation_error"}
    assert not Product.objects.unscoped().exists()


def test_patch_without_custom_fields_keeps_them_and_patch_with_some_merges(world, fields):
    admin = client_for(world.a.tenant_admin)
    created = admin.post(
        reverse("product-list"),
        product_body(custom_fields={"origin": "Peru", "roast": "dark"}),
        format="json",
    )
    url = reverse("product-detail", args=[created.json()["id"]])

    renamed = admin.patch(url, {"name": "Espresso"}, format="json")
    merged = admin.patch(url, {"custom_fields": {"weight": "0.5", "roast": None}}, format="json")
    required_removed = admin.patch(url, {"custom_fields": {"origin": None}}, format="json")

    assert renamed.json()["custom_fields"] == {"origin": "Peru", "roast": "dark"}
    assert merged.json()["custom_fields"] == {"origin": "Peru", "weight": "0.5"}
    assert required_removed.status_code == 400
    assert required_removed.json()["errors"][0]["source"]["pointer"] == "/custom_fields/origin"
    assert admin.get(url).json()["custom_fields"] == {"origin": "Peru", "weight": "0.5"}


def test_custom_fields_must_be_an_object(world, fields):
    response = client_for(world.a.tenant_admin).post(
        reverse("product-list"), product_body(custom_fields=["origin"]), format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/custom_fields"


def test_definitions_over_http(world):
    admin = client_for(world.a.tenant_admin)
    url = reverse("custom-field-list")

    created = admin.post(
        url,
        {"key": "roast", "label": "Roast", "field_type": "choice", "choices": ["light", "dark"]},
        format="json",
    )
    duplicate = admin.post(url, {"key": "roast", "label": "Again", "field_type": "text"}, format="json")
    no_choices = admin.post(url, {"key": "grind", "label": "Grind", "field_type": "choice"}, format="json")
    bad_key = admin.post(url, {"key": "has space", "label": "X", "field_type": "text"}, format="json")
    deleted = admin.delete(reverse("custom-field-detail", args=[created.json()["id"]]))

    assert created.status_code == 201, created.content
    assert duplicate.json()["errors"][0]["source"]["pointer"] == "/key"
    assert no_choices.json()["errors"][0]["source"]["pointer"] == "/choices"
    assert bad_key.json()["errors"][0]["source"]["pointer"] == "/key"
    assert {r.status_code for r in (duplicate, no_choices, bad_key)} == {400}
    assert deleted.status_code == 204
    assert CustomFieldDefinition.objects.unscoped().get(key="roast").is_active is False
    listed = client_for(world.a.cashier).get(url, {"is_active": "false"})
    assert [row["key"] for row in listed.json()["results"]] == ["roast"]
