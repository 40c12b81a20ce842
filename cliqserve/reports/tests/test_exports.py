"""Exports as jobs: POST /api/v1/exports/ -> 202 job -> file -> expiring download link."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from unittest import mock
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from django.utils import timezone
from moto import mock_aws
from openpyxl import load_workbook
from rest_framework.test import APIClient

from cliqserve.core.models import AuditEvent, Job
from cliqserve.core.tenancy import tenant_scope
from cliqserve.inventory import services
from cliqserve.inventory.tests.helpers import D, product
from cliqserve.reports.exports import export_download_url
from cliqserve.reports.models import ReportExport
from cliqserve.reports.tasks import sweep_report_exports
from conftest import client_for

EXPORTS = "/api/v1/exports/"


@pytest.fixture
def export_files(settings, tmp_path):
    """Export files in a folder of this test's own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    return tmp_path


@pytest.fixture
def ledger(world, export_files):
    """Tenant A: 5 in and 1 out in its first branch (a product named like a formula, a reference
    starting with '-'), 2 in at its other branch; tenant B: one movement of its own."""
    a = world.a
    with tenant_scope(a.tenant.pk):
        item = product(a.tenant, "MV-1", name="=cmd()")
        services.stock_receipt_create(
            tenant=a.tenant,
            actor=a.tenant_admin,
            branch=a.branch,
            lines=[{"product": item, "quantity": D(5), "unit_cost": D("1.25")}],
            reference="-PO 7",
        )
        services.stock_adjustment_create(
            tenant=a.tenant, actor=a.tenant_admin, branch=a.branch, product=item, quantity_delta=D(-1)
        )
        services.stock_receipt_create(
            tenant=a.tenant,
            actor=a.tenant_admin,
            branch=a.other_branch,
            lines=[{"product": item, "quantity": D(2), "unit_cost": D("1.50")}],
        )
    b = world.b
    with tenant_scope(b.tenant.pk):
        services.stock_receipt_create(
            tenant=b.tenant,
            actor=b.tenant_admin,
            branch=b.branch,
            lines=[{"product": product(b.tenant, "MV-B"), "quantity": D(9), "unit_cost": D(1)}],
        )
    return world


def start(client, body, capture, **extra):
    with capture(execute=True):
        response = client.post(EXPORTS, body, format="json", **extra)
    assert response.status_code == 202, response.content
    return response


def finished_job(client, body, capture):
    response = start(client, body, capture)
    return client.get(response["Location"]).json()


def download(url):
    """As a browser would: no bearer token."""
    return APIClient().get(url)


def csv_rows(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def body(report="stock_movements", file_format="csv", **params):
    return {"report": report, "format": file_format, "params": params}


def test_a_csv_export_runs_as_a_job_and_its_link_downloads_the_file(
    ledger, django_capture_on_commit_callbacks
):
    client = client_for(ledger.a.tenant_admin)

    response = start(client, body(), django_capture_on_commit_callbacks)
    queued = response.json()
    job = client.get(response["Location"]).json()

    assert queued["kind"] == "report_export"
    assert queued["status"] == "queued"
    assert queued["download_url"] is None
    assert job["status"] == "succeeded"
    assert job["progress"] == {"done": 3, "total": 3}
    assert job["succeeded"] == 3
    assert job["download_url"].startswith("http://testserver/api/v1/exports/")
    file = download(job["download_url"])
    assert file.status_code == 200
    assert file["Content-Type"] == "text/csv; charset=utf-8"
    assert file["Content-Disposition"].startswith('attachment; filename="stock_movements-')
    rows = csv_rows(file)
    assert [(r["branch"], r["kind"], Decimal(r["quantity"])) for r in rows] == [
        ("a1", "receipt", Decimal(5)),
        ("a1", "adjustment", Decimal(-1)),
        ("a2", "receipt", Decimal(2)),
    ]
    # Text that a spreadsheet would run is escaped; a negative number is not.
    assert rows[0]["product"] == "'=cmd()"
    assert rows[0]["reference"] == "'-PO 7"
    assert rows[1]["quantity"].startswith("-1")
    assert Decimal(rows[0]["unit_cost"]) == Decimal("1.25")
    assert rows[0]["actor"] == "admin@a.test"


def test_an_xlsx_export_holds_numbers_as_numbers_and_escapes_formulas(
    ledger, django_capture_on_commit_callbacks
):
    client = client_for(ledger.a.tenant_admin)

    job = finished_job(
        client, body(file_format="xlsx", branch=str(ledger.a.branch.pk)), django_capture_on_commit_callbacks
    )

    file = download(job["download_url"])
    assert file.status_code == 200
    assert file["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="stock_movements-' in file["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(file.streaming_content))).active
    assert sheet is not None
    header, *rows = list(sheet.iter_rows())
    names = [c.value for c in header]
    quantity, name, reference = names.index("quantity"), names.index("product"), names.index("reference")
    assert [r[quantity].value for r in rows] == [5, -1]
    assert {r[quantity].data_type for r in rows} == {"n"}
    assert rows[0][names.index("unit_cost")].value == pytest.approx(1.25)
    assert rows[0][name].value == "'=cmd()"
    assert rows[0][name].data_type == "s"
    assert rows[0][reference].value == "'-PO 7"


def test_business_days_and_filters_narrow_the_rows(ledger, django_capture_on_commit_callbacks):
    client = client_for(ledger.a.tenant_admin)
    today = timezone.now().date()

    later = finished_job(
        client, body(**{"from": str(today.replace(year=today.year + 1))}), django_capture_on_commit_callbacks
    )
    receipts = finished_job(
        client,
        body(kind="receipt", to=str(today.replace(year=today.year + 1))),
        django_capture_on_commit_callbacks,
    )

    assert later["progress"] == {"done": 0, "total": 0}
    assert csv_rows(download(later["download_url"])) == []
    assert receipts["progress"]["done"] == 2


def test_a_link_expires(ledger, django_capture_on_commit_callbacks, settings):
    client = client_for(ledger.a.tenant_admin)
    response = start(client, body(), django_capture_on_commit_callbacks)

    # The job read two hours ago handed out a link signed then.
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 7200):
        old = client.get(response["Location"]).json()["download_url"]
    refused = download(old)

    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "permission_denied"
    # Fetching the job again gives a fresh link.
    assert download(client.get(response["Location"]).json()["download_url"]).status_code == 200


def test_a_tampered_or_borrowed_link_is_not_found(ledger, django_capture_on_commit_callbacks):
    admin = client_for(ledger.a.tenant_admin)
    first = finished_job(admin, body(), django_capture_on_commit_callbacks)
    second = finished_job(admin, body(file_format="xlsx"), django_capture_on_commit_callbacks)
    url = urlparse(first["download_url"])
    token = parse_qs(url.query)["token"][0]
    other_path = urlparse(second["download_url"]).path

    tampered = download(f"{url.path}?token={token[:-1]}{'A' if token[-1] != 'A' else 'B'}")
    borrowed = download(f"{other_path}?token={token}")
    missing = download(url.path)

    for response in (tampered, borrowed, missing):
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"


def test_another_tenants_export_job_is_not_found(ledger, django_capture_on_commit_callbacks):
    response = start(client_for(ledger.a.tenant_admin), body(), django_capture_on_commit_callbacks)

    for user in (ledger.b.tenant_admin, ledger.b.branch_manager):
        answer = client_for(user).get(response["Location"])
        assert answer.status_code == 404
        assert answer.json()["errors"][0]["code"] == "not_found"


def test_a_manager_exports_its_own_branch_and_sees_only_its_own_jobs(
    ledger, django_capture_on_commit_callbacks
):
    manager = client_for(ledger.a.branch_manager)
    admins = start(client_for(ledger.a.tenant_admin), body(), django_capture_on_commit_callbacks)
    jobs_before = Job.objects.unscoped().count()

    job = finished_job(manager, body(), django_capture_on_commit_callbacks)
    elsewhere = manager.post(EXPORTS, body(branch=str(ledger.a.other_branch.pk)), format="json")

    assert {r["branch"] for r in csv_rows(download(job["download_url"]))} == {"a1"}
    assert elsewhere.status_code == 403
    assert elsewhere.json()["errors"][0]["code"] == "permission_denied"
    assert Job.objects.unscoped().count() == jobs_before + 1
    assert manager.get(admins["Location"]).status_code == 404


def test_the_branch_scope_is_checked_again_when_the_job_runs(ledger, django_capture_on_commit_callbacks):
    manager = ledger.a.branch_manager
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(manager).post(EXPORTS, body(), format="json")
    manager.role = "cashier"
    manager.save(update_fields=["role"])

    for callback in callbacks:
        callback()

    job = Job.objects.unscoped().get(pk=response.json()["id"])
    assert job.status == Job.Status.FAILED
    assert "branch managers" in job.detail
    assert not ReportExport.objects.unscoped().get(job=job).file


def test_a_cashier_cannot_export_and_nothing_is_created(ledger):
    before = (Job.objects.unscoped().count(), ReportExport.objects.unscoped().count())

    response = client_for(ledger.a.cashier).post(EXPORTS, body(), format="json")

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"
    assert (Job.objects.unscoped().count(), ReportExport.objects.unscoped().count()) == before


def test_the_audit_trail_exports_the_tenants_events_for_its_admin(ledger, django_capture_on_commit_callbacks):
    client = client_for(ledger.a.tenant_admin)

    job = finished_job(client, body(report="audit_events"), django_capture_on_commit_callbacks)

    rows = csv_rows(download(job["download_url"]))
    assert [row["action"] for row in rows] == ["stock_adjusted", "data_exported"]
    assert rows[0]["actor"] == str(ledger.a.tenant_admin.pk)
    assert rows[1]["object_repr"] == "audit_events"
    filtered = finished_job(
        client, body(report="audit_events", action="stock_adjusted"), django_capture_on_commit_callbacks
    )
    assert [row["action"] for row in csv_rows(download(filtered["download_url"]))] == ["stock_adjusted"]


def test_only_the_tenant_admin_exports_the_audit_trail(ledger):
    before = (Job.objects.unscoped().count(), AuditEvent.objects.count())

    response = client_for(ledger.a.branch_manager).post(EXPORTS, body(report="audit_events"), format="json")

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"
    assert (Job.objects.unscoped().count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        (body(**{"from": "yesterday"}), "/params/from"),
        (body(**{"from": "2026-02-01", "to": "2026-01-01"}), "/params/to"),
        (body(to="9999-12-31"), "/params/to"),
        (body(**{"from": "0001-01-01"}), "/params/from"),
        (body(colour="red"), "/params/colour"),
        (body(kind="theft"), "/params/kind"),
        (body(report="audit_events", actor="someone"), "/params/actor"),
        (body(report="audit_events", to="tomorrow"), "/params/to"),
        (body(report="payroll"), "/report"),
        (body(file_format="pdf"), "/format"),
        ({"report": "stock_movements", "format": "csv", "params": "from=2026-01-01"}, "/params"),
    ],
)
def test_bad_input_is_400_pointing_at_the_field(ledger, payload, pointer):
    before = Job.objects.unscoped().count()

    response = client_for(ledger.a.tenant_admin).post(EXPORTS, payload, format="json")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["code"], error["source"]["pointer"]) == ("validation_error", pointer)
    assert Job.objects.unscoped().count() == before


def test_another_tenants_branch_or_product_is_a_bad_parameter(ledger):
    admin = client_for(ledger.a.tenant_admin)
    with tenant_scope(ledger.b.tenant.pk):
        foreign_product = product(ledger.b.tenant, "MV-B")

    branch = admin.post(EXPORTS, body(branch=str(ledger.b.branch.pk)), format="json")
    item = admin.post(EXPORTS, body(product=str(foreign_product.pk)), format="json")

    assert branch.json()["errors"][0]["source"]["pointer"] == "/params/branch"
    assert item.json()["errors"][0]["source"]["pointer"] == "/params/product"


def test_an_idempotency_key_starts_one_job_only(ledger, django_capture_on_commit_callbacks):
    client = client_for(ledger.a.tenant_admin)
    before = Job.objects.unscoped().count()

    first = start(client, body(), django_capture_on_commit_callbacks, HTTP_IDEMPOTENCY_KEY="export-1")
    again = start(client, body(), django_capture_on_commit_callbacks, HTTP_IDEMPOTENCY_KEY="export-1")

    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Job.objects.unscoped().count() == before + 1


def test_expired_files_are_swept(ledger, django_capture_on_commit_callbacks, export_files):
    client = client_for(ledger.a.tenant_admin)
    response = start(client, body(), django_capture_on_commit_callbacks)
    link = client.get(response["Location"]).json()["download_url"]
    export = ReportExport.objects.unscoped().get(job_id=response.json()["id"])
    fresh = start(client, body(), django_capture_on_commit_callbacks)
    ReportExport.objects.unscoped().filter(pk=export.pk).update(expires_at=timezone.now())

    assert sweep_report_exports() == 1

    assert not (export_files / export.file.name).exists()
    assert client.get(response["Location"]).json()["download_url"] is None
    assert download(link).status_code == 404
    assert client.get(fresh["Location"]).json()["download_url"] is not None


def test_query_budgets(ledger, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    client = client_for(ledger.a.tenant_admin)
    with django_assert_max_num_queries(12):
        response = client.post(EXPORTS, body(branch=str(ledger.a.branch.pk)), format="json")
    assert response.status_code == 202
    for _ in range(3):
        start(client, body(), django_capture_on_commit_callbacks)

    with django_assert_max_num_queries(6):
        assert client.get(response["Location"]).status_code == 200
    with django_assert_max_num_queries(7):
        listed = client.get("/api/v1/jobs/")
    assert sum(1 for job in listed.json()["results"] if job["download_url"]) == 3


def test_the_run_takes_a_few_queries_whatever_the_row_count(
    ledger, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client = client_for(ledger.a.tenant_admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(EXPORTS, body(), format="json")

    with django_assert_max_num_queries(12):
        for callback in callbacks:
            callback()


# --- An S3-compatible bucket ----------------------------------------------------------------


def test_the_bucket_setting_selects_the_s3_storage():
    script = (
        "from config.settings import base; o = base.STORAGES['exports']; "
        "print(o['BACKEND'], o['OPTIONS']['bucket_name'], o['OPTIONS']['endpoint_url'], "
        "o['OPTIONS']['querystring_expire'])"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "EXPORT_STORAGE_BUCKET": "cliq-exports",
        "EXPORT_STORAGE_ENDPOINT_URL": "https://minio.test:9000",
        "EXPORT_LINK_TTL": "600",
    }

    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)

    assert out.stdout.split() == [
        "storages.backends.s3.S3Storage",
        "cliq-exports",
        "https://minio.test:9000",
        "600",
    ]


def test_a_bucket_link_is_the_buckets_presigned_url(world, settings):
    """Presigning is computed locally by boto3: no network. An S3-compatible endpoint's own
    address and path style; writing to a bucket is the test below."""
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "cliq-exports",
                "endpoint_url": "https://minio.test:9000",
                "access_key": "test-key",
                "secret_key": "test-secret",
                "region_name": "us-east-1",
                "signature_version": "s3v4",
                "querystring_auth": True,
            },
        },
    }
    settings.EXPORT_LINK_TTL = 900
    export = ReportExport(
        tenant=world.a.tenant,
        report="stock_movements",
        format="csv",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    export.file.name = "exports/t/e/stock_movements-20260101-000000.csv"

    link = export_download_url(export)
    assert link is not None
    url = urlparse(link)

    query = parse_qs(url.query)
    assert url.netloc == "minio.test:9000"
    assert url.path == "/cliq-exports/exports/t/e/stock_movements-20260101-000000.csv"
    assert query["X-Amz-Expires"] == ["900"]
    assert "X-Amz-Signature" in query
    assert query["response-content-disposition"] == [
        'attachment; filename="stock_movements-20260101-000000.csv"'
    ]


@pytest.fixture
def bucket(settings):
    """An S3 bucket in moto's in-process AWS (no network), as the exports storage: what
    EXPORT_STORAGE_BUCKET configures (config/settings/base.py), pointed at AWS itself."""
    with mock_aws():
        s3 = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
        )
        s3.create_bucket(Bucket="cliq-exports")
        settings.STORAGES = {
            **settings.STORAGES,
            "exports": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "cliq-exports",
                    "region_name": "us-east-1",
                    "access_key": "test",
                    "secret_key": "test",
                    "signature_version": "s3v4",
                    "default_acl": None,
                    "querystring_auth": True,
                    "querystring_expire": 600,
                    "file_overwrite": False,
                },
            },
        }
        settings.EXPORT_LINK_TTL = 600
        yield s3


def test_an_export_is_written_to_the_bucket_linked_presigned_and_swept_from_it(
    ledger, bucket, django_capture_on_commit_callbacks
):
    client = client_for(ledger.a.tenant_admin)

    response = start(client, body(), django_capture_on_commit_callbacks)
    job = client.get(response["Location"]).json()

    export = ReportExport.objects.unscoped().get(job_id=job["id"])
    stored = bucket.list_objects_v2(Bucket="cliq-exports")["Contents"]
    assert [item["Key"] for item in stored] == [export.file.name]
    assert export.file.name.startswith(f"exports/{ledger.a.tenant.pk}/{export.pk}/stock_movements-")
    text = bucket.get_object(Bucket="cliq-exports", Key=export.file.name)["Body"].read().decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(row["branch"], row["kind"], Decimal(row["quantity"])) for row in rows] == [
        ("a1", "receipt", Decimal(5)),
        ("a1", "adjustment", Decimal(-1)),
        ("a2", "receipt", Decimal(2)),
    ]
    assert rows[0]["product"] == "'=cmd()"
    link = urlparse(job["download_url"])
    assert link.netloc.startswith("cliq-exports.s3")
    assert link.path == f"/{export.file.name}"
    assert parse_qs(link.query)["X-Amz-Expires"] == ["600"]

    ReportExport.objects.unscoped().filter(pk=export.pk).update(expires_at=timezone.now())
    assert sweep_report_exports() == 1
    assert bucket.list_objects_v2(Bucket="cliq-exports")["KeyCount"] == 0
    assert client.get(response["Location"]).json()["download_url"] is None
