"""Benchmark: a device's first catalog sync of a 20,000-product catalog.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cliqserve_bench \
        .venv/bin/python bench/catalog_sync.py [--products 20000] [--limit 500]

Creates the database content once (a bench tenant with N translated products), then syncs the
whole catalog through the full Django/DRF stack (django.test.Client: middleware, JWT auth,
serialisation; no network) and reports wall time, pages, and queries per page.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cliqserve.accounts.auth import issue_tokens
from cliqserve.accounts.models import User
from cliqserve.catalog.models import CatalogCounter, Product, ProductTranslation
from cliqserve.tenants.models import Branch, Tenant


def seed(count: int) -> User:
    tenant, _ = Tenant.objects.get_or_create(slug="bench", defaults={"name": "Bench", "currency": "EUR"})
    branch = Branch.objects.unscoped().filter(tenant=tenant).first() or Branch.objects.unscoped().create(
        tenant=tenant, name="Main", code="BR1"
    )
    user = User.objects.filter(email="cashier@bench.test").first() or User.objects.create_user(
        "cashier@bench.test", "bench-password-123", role="cashier", tenant=tenant, branch=branch
    )
    existing = Product.objects.unscoped().filter(tenant=tenant).count()
    if existing < count:
        with transaction.atomic():
            products = Product.objects.unscoped().bulk_create(
                Product(
                    tenant=tenant, sku=f"B-{i:06d}", price=Decimal("9.99"), change_seq=i + 1, custom_fields={}
                )
                for i in range(existing, count)
            )
            ProductTranslation.objects.bulk_create(
                ProductTranslation(
                    master=p, translation_tenant=tenant, language_code=lang, name=f"{p.sku} {lang}"
                )
                for p in products
                for lang in ("en", "es")
            )
            CatalogCounter.objects.unscoped().update_or_create(tenant=tenant, defaults={"value": count})
    return user


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--limit", type=int, default=500)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    user = seed(args.products)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=user, device=None).access}")

    cursor, pages, received, queries = 0, 0, 0, []
    started = time.perf_counter()
    while True:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/sync/catalog/", {"cursor": cursor, "limit": args.limit})
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        queries.append(len(captured))
        pages += 1
        received += len(body["products"])
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    elapsed = time.perf_counter() - started

    print(f"products={received} pages={pages} limit={args.limit}")
    print(
        f"first sync: {elapsed:.2f} s total, {1000 * elapsed / pages:.1f} ms/page, "
        f"{received / elapsed:,.0f} products/s"
    )
    print(f"queries per page: min={min(queries)} max={max(queries)}")


if __name__ == "__main__":
    main()
