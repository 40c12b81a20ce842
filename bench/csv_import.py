"""Benchmark: importing a 10,000-row product CSV (the work a Celery worker does).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cliqserve_bench \
        .venv/bin/python bench/csv_import.py [--rows 10000] [--bad-every 500]

Generates a CSV with translations, a category, a tax rate and a custom field (plus one bad row
every --bad-every rows), starts the import as the API would, runs the job in-process (exactly
what the worker runs), and reports rows per second for a first import (creates) and a re-run
(updates).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")

import django

django.setup()

from django.core.management import call_command

from cliqserve.accounts.models import User
from cliqserve.catalog.imports import product_import_run, product_import_start
from cliqserve.catalog.models import Category, CustomFieldDefinition, TaxRate
from cliqserve.core.models import Job
from cliqserve.core.tenancy import tenant_scope
from cliqserve.tenants.models import Tenant


def make_csv(rows: int, bad_every: int) -> str:
    out = io.StringIO()
    out.write("sku,price,name,name_es,description,category,tax_rate,track_stock,custom.size\n")
    for i in range(rows):
        price = "-1" if bad_every and i % bad_every == bad_every - 1 else f"{1 + i % 50}.{i % 100:02d}"
        size = ("small", "large")[i % 2]
        out.write(f"IMP-{i:06d},{price},Item {i},Artículo {i},Bench item,Bench,Bench VAT,true,{size}\n")
    return out.getvalue()


def setup() -> tuple[Tenant, User]:
    tenant, _ = Tenant.objects.get_or_create(
        slug="bench-import", defaults={"name": "Bench import", "currency": "EUR"}
    )
    admin = User.objects.filter(email="admin@bench-import.test").first() or User.objects.create_user(
        "admin@bench-import.test", "bench-password-123", role="tenant_admin", tenant=tenant
    )
    with tenant_scope(tenant.pk):
        Category.objects.get_or_create(tenant=tenant, name="Bench")
        TaxRate.objects.get_or_create(tenant=tenant, name="Bench VAT", defaults={"rate": "10.00"})
        CustomFieldDefinition.objects.get_or_create(
            tenant=tenant,
            key="size",
            defaults={"label": "Size", "field_type": "choice", "choices": ["small", "large"]},
        )
    return tenant, admin


def timed_import(tenant: Tenant, admin: User, text: str) -> tuple[float, Job]:
    with tenant_scope(tenant.pk):
        job = product_import_start(tenant=tenant, actor=admin, text=text)
        started = time.perf_counter()
        product_import_run(job_id=str(job.pk))
        elapsed = time.perf_counter() - started
        job.refresh_from_db()
    return elapsed, job


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--bad-every", type=int, default=500)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    tenant, admin = setup()
    text = make_csv(args.rows, args.bad_every)
    for label in ("first import", "re-run"):
        elapsed, job = timed_import(tenant, admin, text)
        print(
            f"{label}: {args.rows} rows in {elapsed:.1f} s = {args.rows / elapsed:,.0f} rows/s "
            f"(succeeded {job.succeeded}, failed {job.failed}, errors reported {len(job.errors)})"
        )


if __name__ == "__main__":
    main()
