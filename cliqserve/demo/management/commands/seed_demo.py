"""`manage.py seed_demo`: a demo tenant to click around in, and its logins.

Idempotent: when the demo tenant exists nothing is written, and the same logins are printed, so
`make run` can call it on every start. Every demo account shares one well-known password, so
the command refuses to run unless DEBUG is on or --force is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cliqserve.accounts.models import User
from cliqserve.accounts.services import user_create
from cliqserve.catalog.models import Product
from cliqserve.core.errors import DomainError
from cliqserve.core.roles import Role
from cliqserve.core.services import unique_field
from cliqserve.core.tenancy import tenant_scope
from cliqserve.demo.catalog import seed_demo_catalog
from cliqserve.tenants.models import Branch, Device, Tenant
from cliqserve.tenants.services import branch_create, device_create, tenant_create

# Demo only: printed on every run, never to be used for a real account.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105

DEMO_TENANT = {
    "slug": "demo",
    "name": "Demo Coffee Co.",
    "currency": "USD",
    "timezone": "America/New_York",
    "default_language": "en",
    # Cashiers may give up to 10% off a line; more needs the manager.
    "cashier_max_discount_percent": Decimal("10.00"),
}
BRANCHES = (("BR1", "Downtown"), ("BR2", "Airport"))
# (code, branch code, name)
DEVICES = (
    ("POS1", "BR1", "Downtown till 1"),
    ("POS2", "BR1", "Downtown till 2"),
    ("POS3", "BR2", "Airport till 1"),
    ("POS4", "BR2", "Airport till 2"),
)
OWNER_EMAIL = "owner@demo.cliqserve.test"
ADMIN_EMAIL = "admin@demo.cliqserve.test"
MANAGER_EMAIL = "manager@demo.cliqserve.test"
CASHIER_EMAIL = "cashier@demo.cliqserve.test"
# (role, email), in the order the logins are printed.
LOGINS = (
    (Role.PLATFORM_OWNER, OWNER_EMAIL),
    (Role.TENANT_ADMIN, ADMIN_EMAIL),
    (Role.BRANCH_MANAGER, MANAGER_EMAIL),
    (Role.CASHIER, CASHIER_EMAIL),
)
STAFF_BRANCH = "BR1"
CASHIER_DEVICES = frozenset({"POS1", "POS2"})


class Command(BaseCommand):
    help = (
        "Create the demo tenant (branches, devices, one user per role) unless it exists, and "
        "print its logins. Runs only with DEBUG on, or with --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off. The demo accounts share a published password.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with a published password, so it runs only with "
                "DEBUG on. Pass --force to run it anyway."
            )
        tenant = Tenant.objects.filter(slug=DEMO_TENANT["slug"]).first()
        if tenant is None:
            try:
                tenant = seed()
            except DomainError as exc:
                raise CommandError(f"Could not seed the demo tenant: {exc.detail}") from exc
            self.stdout.write(self.style.SUCCESS(f"Created the demo tenant {tenant.name!r}."))
        elif seed_catalog_if_missing(tenant):
            # Demo tenants made before the catalog existed get it now, once.
            self.stdout.write(self.style.SUCCESS("Added the demo catalog and opening stock."))
        else:
            self.stdout.write(f"The demo tenant {tenant.name!r} already exists: nothing changed.")
        self._print_logins(tenant)

    def _print_logins(self, tenant: Tenant) -> None:
        emails = [email for _, email in LOGINS]
        users = {user.email: user for user in User.objects.select_related("branch").filter(email__in=emails)}
        login_rows = [("role", "email", "password", "branch")]
        for role, email in LOGINS:
            user = users.get(email)
            if user is None:
                login_rows.append((role, email, "(missing)", ""))
            else:
                login_rows.append((role, email, DEMO_PASSWORD, str(user.branch) if user.branch else "-"))

        with tenant_scope(tenant.id):
            devices = list(Device.objects.select_related("branch").order_by("code"))
        device_rows = [("device id", "code", "name", "branch")]
        device_rows += [(str(d.pk), d.code, d.name, d.branch.code) for d in devices]

        self.stdout.write("")
        self._table(login_rows)
        self.stdout.write("")
        self._table(device_rows)
        self.stdout.write("")
        self.stdout.write(
            'Sign in: POST /api/v1/auth/login/ with {"email": ..., "password": ...}'
            f' (the cashier may add "device": <id of {" or ".join(sorted(CASHIER_DEVICES))}>).'
        )
        self.stdout.write("The Django admin (/admin/) takes the platform owner's login. Demo use only.")

    def _table(self, rows: Sequence[Sequence[str]]) -> None:
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )


@transaction.atomic
def seed() -> Tenant:
    """Everything in one transaction, through the services, each step by a role allowed to take it."""
    with unique_field("email", detail=f"A user {OWNER_EMAIL} already exists."):
        owner = User.objects.create_superuser(OWNER_EMAIL, DEMO_PASSWORD)
    tenant = tenant_create(actor=owner, **DEMO_TENANT)
    admin = user_create(
        actor=owner, email=ADMIN_EMAIL, password=DEMO_PASSWORD, role=Role.TENANT_ADMIN, tenant=tenant
    )
    with tenant_scope(tenant.id):
        branches = _seed_branches(tenant=tenant, actor=admin)
        staff_branch = branches[STAFF_BRANCH]
        user_create(
            actor=admin,
            email=MANAGER_EMAIL,
            password=DEMO_PASSWORD,
            role=Role.BRANCH_MANAGER,
            branch=staff_branch,
        )
        cashier = user_create(
            actor=admin, email=CASHIER_EMAIL, password=DEMO_PASSWORD, role=Role.CASHIER, branch=staff_branch
        )
        for code, branch_code, name in DEVICES:
            device_create(
                tenant=tenant,
                actor=admin,
                code=code,
                name=name,
                branch=branches[branch_code],
                assigned_users=[cashier] if code in CASHIER_DEVICES else [],
            )
        seed_demo_catalog(tenant=tenant, actor=admin, branches=list(branches.values()))
    return tenant


@transaction.atomic
def seed_catalog_if_missing(tenant: Tenant) -> bool:
    admin = User.objects.filter(email=ADMIN_EMAIL, tenant=tenant).first()
    with tenant_scope(tenant.id):
        if admin is None or Product.objects.filter(tenant=tenant).exists():
            return False
        branches = list(Branch.objects.filter(tenant=tenant).order_by("code"))
        seed_demo_catalog(tenant=tenant, actor=admin, branches=branches)
    return True


def _seed_branches(*, tenant: Tenant, actor: User) -> dict[str, Branch]:
    return {
        code: branch_create(tenant=tenant, actor=actor, code=code, name=name, timezone=tenant.timezone)
        for code, name in BRANCHES
    }
