"""`manage.py rebuild_rollups [--tenant SLUG]`: recompute the report rollups from the sales.

Safe while the tills sell: each tenant is rebuilt in one transaction, and sales committed
meanwhile leave journal rows that the next refresh folds in. Reports stay exact throughout.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cliqserve.reports.services import rollups_rebuild
from cliqserve.tenants.models import Tenant


class Command(BaseCommand):
    help = "Recompute the sales report rollups of every tenant (or one) from the sales rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", metavar="SLUG", help="Rebuild this tenant only.")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = Tenant.objects.order_by("slug")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"No tenant with slug {options['tenant']!r}.")
        for tenant in tenants:
            rows = rollups_rebuild(tenant=tenant)
            self.stdout.write(f"{tenant.slug}: {rows} rollup rows")
