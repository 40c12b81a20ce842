"""Malformed input found by fuzzing: each is a 400 in the contract's format, or a row error in
the import job's report; never a 500, never a dead job, and nothing written when refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cliqserve.catalog.custom_fields import CustomFieldsInvalid, clean_custom_fields
from cliqserve.catalog.models import CustomFieldDefinition, Product
from cliqserve.core.models import Job
from cliqserve.core.tenancy import tenant_scope
from conftest import client_for

from .test_import_export import products_of, run_import, upload


def refused(response, *, pointer: str = "/file") -> dict:
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert (error["code"], error["source"]["pointer"]) == ("validation_error", pointer)
    return error


@pytest.mark.parametrize("as_file", [True, False])
def test_a_field_longer_than_the_csv_limit_is_refused_naming_its_line(world, as_file):
    text = "sku,price,description\nA-1,1.00,short\nA-2,1.00," + "x" * 131_073 + "\n"

    error = refused(upload(client_for(world.a.tenant_admin), text, as_file=as_file))

    assert error["detail"] == "Line 3 cannot be read as CSV: field larger than field limit (131072)."
    assert not Job.objects.unscoped().exists()


def test_a_header_longer_than_the_csv_limit_is_refused(world):
    error = refused(upload(client_for(world.a.tenant_admin), "sku,price," + "n" * 131_073 + "\nA-1,1\n"))

    assert error["detail"].startswith("Line 1 cannot be read as CSV")
    assert not Job.objects.unscoped().exists()


def test_a_bare_carriage_return_ends_a_row_as_a_spreadsheet_reads_it(
    world, django_capture_on_commit_callbacks
):
    text = "sku,price,name\rA-1,1.00,One\rA-2,2.00,Two\r\nA-3,3.00,Three\n"

    job = run_import(client_for(world.a.tenant_admin), text, django_capture_on_commit_callbacks)

    assert (job["status"], job["succeeded"], job["failed"]) == ("succeeded", 3, 0)
    assert set(products_of(world.a.tenant)) == {"A-1", "A-2", "A-3"}


def test_a_bare_carriage_return_inside_a_quoted_field_stays_in_it(world, django_capture_on_commit_callbacks):
    text = 'sku,price,name,description\nA-1,1.00,One,"first\rsecond"\n'

    job = run_import(client_for(world.a.tenant_admin), text, django_capture_on_commit_callbacks)

    assert job["succeeded"] == 1
    (product,) = products_of(world.a.tenant).values()
    assert product.translations.get().description == "first\rsecond"


@pytest.mark.parametrize("as_file", [True, False])
def test_a_nul_byte_in_an_upload_is_refused(world, as_file):
    error = refused(
        upload(client_for(world.a.tenant_admin), "sku,price,name\nA-1,1.00,O\x00ne\n", as_file=as_file)
    )

    assert "NUL" in error["detail"]
    assert not Job.objects.unscoped().exists()


@pytest.mark.parametrize("price", ["1e400", "-1e400", "1e26", "9" * 40])
def test_a_huge_price_is_a_row_error_and_the_job_finishes(world, django_capture_on_commit_callbacks, price):
    text = f"sku,price,name\nA-1,1.00,One\nA-2,{price},Two\nA-3,3.00,Three\n"

    job = run_import(client_for(world.a.tenant_admin), text, django_capture_on_commit_callbacks)

    assert (job["status"], job["succeeded"], job["failed"]) == ("succeeded", 2, 1)
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(3, "price")]
    assert set(products_of(world.a.tenant)) == {"A-1", "A-3"}


@pytest.fixture
def origin(world):
    return CustomFieldDefinition.objects.unscoped().create(
        tenant=world.a.tenant, key="origin", label="Origin", field_type="text"
    )


def test_a_nul_in_a_custom_text_field_is_refused_with_its_pointer(world, origin):
    client = client_for(world.a.tenant_admin)
    body = {"sku": "COF-1", "price": "2.50", "name": "Coffee", "custom_fields": {"origin": "Pe\x00ru"}}

    created = client.post(reverse("product-list"), body, format="json")

    refused(created, pointer="/custom_fields/origin")
    assert not Product.objects.unscoped().exists()


def test_a_lone_surrogate_in_a_custom_text_field_is_refused_and_nothing_is_written(world, origin):
    body = '{"sku": "COF-1", "price": "2.50", "name": "Coffee", "custom_fields": {"origin": "Pe\\ud800ru"}}'

    created = client_for(world.a.tenant_admin).generic(
        "POST", reverse("product-list"), body, content_type="application/json"
    )

    # The API's JSON parser refuses a lone surrogate anywhere in a body before any field sees it.
    assert created.status_code == 400
    assert created.json()["errors"][0]["code"] == "invalid_request"
    assert not Product.objects.unscoped().exists()


def test_a_custom_text_field_refuses_a_lone_surrogate_whoever_calls_it(world, origin):
    # Behind the parser, the field's own rule holds for any caller (the import, a service).
    with pytest.raises(CustomFieldsInvalid) as refusal, tenant_scope(world.a.tenant.pk):
        clean_custom_fields(tenant=world.a.tenant, values={"origin": "Pe\ud800ru"}, existing={})

    assert refusal.value.pointer == "/custom_fields/origin"
    assert refusal.value.errors == {"origin": "Surrogate characters are not allowed: U+D800."}


def test_a_nul_in_a_custom_text_field_of_an_update_changes_nothing(world, origin):
    client = client_for(world.a.tenant_admin)
    body = {"sku": "COF-1", "price": "2.50", "name": "Coffee", "custom_fields": {"origin": "Peru"}}
    url = reverse(
        "product-detail", args=[client.post(reverse("product-list"), body, format="json").json()["id"]]
    )

    patched = client.patch(url, {"custom_fields": {"origin": "\x00"}}, format="json")

    refused(patched, pointer="/custom_fields/origin")
    assert client.get(url).json()["custom_fields"] == {"origin": "Peru"}


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"key": "k", "label": "K", "field_type": "choice", "choices": ["a\x00"]}, "/choices/0"),
        ({"key": "k", "label": "K\x00", "field_type": "text"}, "/label"),
        ({"key": "k\x00", "label": "K", "field_type": "text"}, "/key"),
    ],
)
def test_a_nul_in_a_custom_field_definition_is_refused(world, body, pointer):
    refused(
        client_for(world.a.tenant_admin).post(reverse("custom-field-list"), body, format="json"),
        pointer=pointer,
    )

    assert not CustomFieldDefinition.objects.unscoped().exists()


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"sku": "A\x00", "price": "1", "name": "x"}, "/sku"),
        ({"sku": "A", "price": "1", "name": "x\x00"}, "/name"),
        (
            {"sku": "A", "price": "1", "translations": {"es": {"name": "x", "description": "\x00"}}},
            "/translations/es/description",
        ),
    ],
)
def test_a_nul_in_a_product_text_is_refused(world, body, pointer):
    refused(
        client_for(world.a.tenant_admin).post(reverse("product-list"), body, format="json"), pointer=pointer
    )

    assert not Product.objects.unscoped().exists()


@pytest.mark.parametrize(
    ("query", "status"),
    [("search=a%00b", 400), ("barcode=%00", 400), ("category=%00", 400), ("is_active=%00", 200)],
)
def test_a_nul_in_a_product_filter_is_not_a_server_error(world, query, status):
    response = client_for(world.a.tenant_admin).get(f"{reverse('product-list')}?{query}")

    assert response.status_code == status, response.content
