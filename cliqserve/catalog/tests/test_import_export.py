"""Bulk CSV import (a background job) and export, over HTTP."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cliqserve.catalog.models import CustomFieldDefinition, Product
from cliqserve.core.models import Job
from cliqserve.core.tenancy import tenant_scope
from conftest import client_for
from tests.factories import CategoryFactory, TaxRateFactory

IMPORT = "/api/v1/imports/products/"
EXPORT = "/api/v1/exports/products/"

GOOD_AND_BAD = """sku,price,name,name_es,category,tax_rate,track_stock,custom.size
LAT-1,3.50,Latte,Café con leche,Drinks,VAT,true,large
ESP-1,2.2,Espresso,,drinks,,yes,
BAD-1,-4,Broken price,,,,,
BAD-2,1.00,Unknown category,,Nope,,,
BAD-3,1.00,Bad flag,,,,maybe,
BAD-4,1.00,Bad size,,,,,huge
,1.00,No sku,,,,,
MUF-1,2.75,Muffin,Magdalena,,,false,small
"""


@pytest.fixture
def shop(world):
    CategoryFactory(tenant=world.a.tenant, name="Drinks")
    TaxRateFactory(tenant=world.a.tenant, name="VAT", rate=Decimal("10.00"))
    CustomFieldDefinition.objects.unscoped().create(
        tenant=world.a.tenant, key="size", label="Size", field_type="choice", choices=["small", "large"]
    )
    return world


def upload(client, text: str, *, as_file: bool = True):
    if as_file:
        file = SimpleUploadedFile("products.csv", text.encode(), content_type="text/csv")
        return client.post(IMPORT, {"file": file}, format="multipart")
    return client.generic("POST", IMPORT, text.encode(), content_type="text/csv")


def run_import(client, text, capture, **kwargs):
    with capture(execute=True):
        response = upload(client, text, **kwargs)
    assert response.status_code == 202, response.content
    return client.get(response["Location"]).json()


def products_of(tenant) -> dict[str, Product]:
    with tenant_scope(tenant.pk):
        return {p.sku: p for p in Product.objects.prefetch_related("translations")}


def test_import_creates_the_good_rows_and_reports_each_bad_one(shop, django_capture_on_commit_callbacks):
    job = run_import(client_for(shop.a.tenant_admin), GOOD_AND_BAD, django_capture_on_commit_callbacks)

    assert job["status"] == "succeeded"
    assert job["progress"] == {"done": 8, "total": 8}
    assert (job["succeeded"], job["failed"]) == (3, 5)
    assert {(e["row"], e["column"]) for e in job["errors"]} == {
        (4, "price"),
        (5, "category"),
        (6, "track_stock"),
        (7, "custom.size"),
        (8, "sku"),
    }
    products = products_of(shop.a.tenant)
    assert set(products) == {"LAT-1", "ESP-1", "MUF-1"}
    latte = products["LAT-1"]
    assert latte.price == Decimal("3.50")
    assert latte.category is not None
    assert latte.category.name == "Drinks"
    assert latte.tax_rate is not None
    assert latte.tax_rate.name == "VAT"
    assert latte.custom_fields == {"size": "large"}
    assert {t.language_code: t.name for t in latte.translations.all()} == {
        "en": "Latte",
        "es": "Café con leche",
    }
    assert products["MUF-1"].track_stock is False


def test_running_the_same_import_again_changes_nothing_new(shop, django_capture_on_commit_callbacks):
    client = client_for(shop.a.tenant_admin)
    run_import(client, GOOD_AND_BAD, django_capture_on_commit_callbacks)
    first = {sku: (p.price, p.category_id) for sku, p in products_of(shop.a.tenant).items()}

    again = run_import(client, GOOD_AND_BAD.replace("3.50", "3.75"), django_capture_on_commit_callbacks)

    assert again["succeeded"] == 3
    second = products_of(shop.a.tenant)
    assert set(second) == set(first)
    assert second["LAT-1"].price == Decimal("3.75")


def test_a_raw_text_csv_body_works_too(shop, django_capture_on_commit_callbacks):
    job = run_import(
        client_for(shop.a.tenant_admin),
        "sku,price,name\nTEA-1,1.80,Tea\n",
        django_capture_on_commit_callbacks,
        as_file=False,
    )

    assert job["succeeded"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("sku,name\nA,x\n", "Missing columns: price"),
        ("sku,price,colour\nA,1,red\n", "Unknown columns: colour"),
        ("sku,price\n", "no rows"),
        ("sku,price\nA,1\nB,2\nC,3\n", "limit is 2"),
    ],
)
def test_a_wrong_file_is_refused_at_once_and_queues_nothing(shop, settings, text, message):
    settings.IMPORT_MAX_ROWS = 2

    response = upload(client_for(shop.a.tenant_admin), text)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == "/file"
    assert message in error["detail"]
    assert not Job.objects.unscoped().exists()


def test_oversized_and_non_utf8_uploads_are_refused(shop, settings):
    settings.IMPORT_MAX_BYTES = 20
    client = client_for(shop.a.tenant_admin)

    too_big = upload(client, "sku,price\n" + "A,1\n" * 10)
    settings.IMPORT_MAX_BYTES = 10_000
    latin1 = client.post(
        IMPORT,
        {"file": SimpleUploadedFile("p.csv", "sku,price,name\nA,1,Crème\n".encode("latin-1"))},
        format="multipart",
    )

    assert too_big.status_code == 400
    assert "larger than" in too_big.json()["errors"][0]["detail"]
    assert latin1.status_code == 400
    assert "UTF-8" in latin1.json()["errors"][0]["detail"]


def test_export_round_trips_through_import(shop, django_capture_on_commit_callbacks):
    client = client_for(shop.a.tenant_admin)
    run_import(client, GOOD_AND_BAD, django_capture_on_commit_callbacks)
    before = {sku: (p.price, p.category_id, p.custom_fields) for sku, p in products_of(shop.a.tenant).items()}

    response = client.get(EXPORT)
    exported = response.getvalue().decode()
    job = run_import(client, exported, django_capture_on_commit_callbacks)

    assert response["Content-Type"].startswith("text/csv")
    assert job["failed"] == 0
    assert {
        sku: (p.price, p.category_id, p.custom_fields) for sku, p in products_of(shop.a.tenant).items()
    } == before
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {row["sku"] for row in rows} == set(before)
    latte = next(row for row in rows if row["sku"] == "LAT-1")
    assert latte["name_es"] == "Café con leche"
    assert latte["price"] == "3.50"  # in the currency's minor unit, not the stored 3.500


def test_export_defuses_spreadsheet_formulas(shop, django_capture_on_commit_callbacks):
    client = client_for(shop.a.tenant_admin)
    run_import(
        client, 'sku,price,name\nX-1,1.00,"=HYPERLINK(""http://evil"")"\n', django_capture_on_commit_callbacks
    )

    exported = client.get(EXPORT).getvalue().decode()

    assert "'=HYPERLINK" in exported


def test_jobs_are_private_to_their_tenant_and_starter(shop, django_capture_on_commit_callbacks):
    job = run_import(
        client_for(shop.a.tenant_admin), "sku,price,name\nT-1,1,Tea\n", django_capture_on_commit_callbacks
    )

    assert client_for(shop.b.tenant_admin).get(f"/api/v1/jobs/{job['id']}/").status_code == 404
    assert client_for(shop.a.branch_manager).get(f"/api/v1/jobs/{job['id']}/").status_code == 404
    assert client_for(shop.a.tenant_admin).get("/api/v1/jobs/").json()["results"][0]["id"] == job["id"]


def test_import_writes_are_numbered_for_device_sync(shop, django_capture_on_commit_callbacks):
    client = client_for(shop.a.tenant_admin)
    run_import(client, "sku,price,name\nS-1,1,One\nS-2,2,Two\n", django_capture_on_commit_callbacks)

    synced = client_for(shop.a.cashier).get("/api/v1/sync/catalog/").json()

    assert {p["sku"] for p in synced["products"]} >= {"S-1", "S-2"}


def test_export_holds_only_the_callers_products(shop, django_capture_on_commit_callbacks):
    run_import(
        client_for(shop.b.tenant_admin),
        "sku,price,name\nB-ONLY,1,Secret\n",
        django_capture_on_commit_callbacks,
    )
    run_import(
        client_for(shop.a.tenant_admin), "sku,price,name\nA-ONLY,1,Mine\n", django_capture_on_commit_callbacks
    )

    exported = client_for(shop.a.tenant_admin).get(EXPORT).getvalue().decode()

    assert "A-ONLY" in exported
    assert "B-ONLY" not in exported


def test_an_oversized_body_is_refused_before_it_is_read(shop, settings):
    settings.IMPORT_MAX_BYTES = 100

    response = client_for(shop.a.tenant_admin).generic(
        "POST", IMPORT, "sku,price\n" + "A,1\n" * 40_000, content_type="text/csv"
    )

    assert response.status_code == 400
    assert "larger than 100 bytes" in response.json()["errors"][0]["detail"]
