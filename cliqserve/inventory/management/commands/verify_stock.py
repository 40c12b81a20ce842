"""`manage.py verify_stock [--tenant SLUG]`: every stock level must equal the sum of its ledger.

Prints each drift (tenant, branch, product, level, ledger sum) and exits non-zero if there is
any. Two aggregate queries do the whole check in the database, however many levels there are:
levels whose quantity differs from their ledger sum, and ledger rows with no level at all.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import DecimalField, Exists, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from cliqserve.core.money import QUANTITY_PLACES, quantize_quantity
from cliqserve.inventory.models import StockLevel, StockMovement
from cliqserve.tenants.models import Tenant

_LEDGER_SUM: DecimalField[Decimal, Decimal] = DecimalField(max_digits=30, decimal_places=QUANTITY_PLACES)


class Command(BaseCommand):
    help = "Check that every stock level equals the sum of its movement ledger; exit 1 on any drift."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", metavar="SLUG", help="Check this tenant only.")

    def handle(self, *args: Any, **options: Any) -> None:
        # unscoped() throughout: this is an operator's command over every tenant (or the one
        # named), with no request and so no tenant scope; it only reads.
        levels = StockLevel.objects.unscoped()
        movements = StockMovement.objects.unscoped()
        if options["tenant"]:
            tenant = Tenant.objects.filter(slug=options["tenant"]).first()
            if tenant is None:
                raise CommandError(f"No tenant with slug {options['tenant']!r}.")
            levels, movements = levels.filter(tenant=tenant), movements.filter(tenant=tenant)

        drifts = [*_drifted_levels(levels, movements), *_ledgers_without_level(levels, movements)]
        for row in drifts:
            self.stdout.write(
                f"drift: tenant={row['tenant']} branch={row['branch']} product={row['product']} "
                f"level={row['level']} ledger={row['ledger']}"
            )
        if drifts:
            raise CommandError(f"{len(drifts)} stock level(s) differ from their ledger.")
        self.stdout.write(f"Stock ledger consistent: {levels.count()} stock level(s) checked.")


def _quantity(value: Any) -> Decimal:
    # SQLite hands sums back unscaled (5 rather than 5.000); print every figure the same way.
    return quantize_quantity(Decimal(str(value)))


def _same_pair(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.filter(
        tenant_id=OuterRef("tenant_id"), branch_id=OuterRef("branch_id"), product_id=OuterRef("product_id")
    )


def _drifted_levels(levels: QuerySet[StockLevel], movements: QuerySet[StockMovement]) -> list[dict[str, Any]]:
    ledger_sum = (
        _same_pair(movements).order_by().values("product_id").annotate(total=Sum("quantity")).values("total")
    )
    rows = (
        levels.annotate(ledger=Coalesce(Subquery(ledger_sum), Value(Decimal(0)), output_field=_LEDGER_SUM))
        .exclude(quantity=F("ledger"))
        .order_by("tenant__slug", "branch__code", "product__sku")
        .values("tenant__slug", "branch__code", "product__sku", "quantity", "ledger")
    )
    return [
        {
            "tenant": row["tenant__slug"],
            "branch": row["branch__code"],
            "product": row["product__sku"],
            "level": row["quantity"],
            "ledger": _quantity(row["ledger"]),
        }
        for row in rows
    ]


def _ledgers_without_level(
    levels: QuerySet[StockLevel], movements: QuerySet[StockMovement]
) -> list[dict[str, Any]]:
    rows = (
        movements.filter(~Exists(_same_pair(levels)))
        .order_by("tenant__slug", "branch__code", "product__sku")
        .values("tenant__slug", "branch__code", "product__sku")
        .annotate(ledger=Sum("quantity"))
    )
    return [
        {
            "tenant": row["tenant__slug"],
            "branch": row["branch__code"],
            "product": row["product__sku"],
            "level": "missing",
            "ledger": _quantity(row["ledger"]),
        }
        for row in rows
    ]
