"""`manage.py seed_demo`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from cliqserve.accounts.models import User
from cliqserve.core.roles import Role
from cliqserve.core.tenancy import tenant_scope
from cliqserve.tenants.models import Branch, Device, DeviceAssignment, Tenant

PASSWORD = "demo-pass-2026"
EMAILS = {
    Role.PLATFORM_OWNER: "owner@demo.cliqserve.test",
    Role.TENANT_ADMIN: "admin@demo.cliqserve.test",
    Role.BRANCH_MANAGER: "manager@demo.cliqserve.test",
    Role.CASHIER: "cashier@demo.cliqserve.test",
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def seed_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def every_row() -> dict[str, set]:
    """The ids of every row the command may write, of every tenant."""
    # unscoped() is safe: the test counts every tenant's rows, to see that nothing else appeared.
    return {
        "tenants": set(Tenant.objects.values_list("id", flat=True)),
        "branches": set(Branch.objects.unscoped().values_list("id", flat=True)),
        "devices": set(Device.objects.unscoped().values_list("id", flat=True)),
        "assignments": set(DeviceAssignment.objects.unscoped().values_list("id", flat=True)),
        "users": set(User.objects.values_list("id", "password", "updated_at")),
    }


def test_creates_the_demo_tenant_and_exactly_what_it_says(debug):
    seed_demo()

    rows = every_row()
    assert {name: len(ids) for name, ids in rows.items()} == {
        "tenants": 1,
        "branches": 2,
        "devices": 4,
        "assignments": 2,
        "users": 4,
    }
    tenant = Tenant.objects.get()
    assert (tenant.slug, tenant.name, tenant.currency) == ("demo", "Demo Coffee Co.", "USD")
    assert (tenant.timezone, tenant.default_language, tenant.is_active) == ("America/New_York", "en", True)
    with tenant_scope(tenant.id):
        branches = {branch.code: branch.name for branch in Branch.objects.all()}
        devices = {d.code: (d.branch.code, d.name) for d in Device.objects.select_related("branch")}
        assignments = {(a.device.code, a.user.email) for a in DeviceAssignment.objects.all()}
    assert branches == {"BR1": "Downtown", "BR2": "Airport"}
    assert devices == {
        "POS1": ("BR1", "Downtown till 1"),
        "POS2": ("BR1", "Downtown till 2"),
        "POS3": ("BR2", "Airport till 1"),
        "POS4": ("BR2", "Airport till 2"),
    }
    assert assignments == {("POS1", EMAILS[Role.CASHIER]), ("POS2", EMAILS[Role.CASHIER])}


def test_creates_one_user_per_role_in_the_right_place(debug):
    seed_demo()

    demo = Tenant.objects.get(slug="demo")
    with tenant_scope(demo.id):
        downtown = Branch.objects.get(code="BR1")
    users = {user.role: user for user in User.objects.all()}
    assert {role: user.email for role, user in users.items()} == EMAILS
    owner = users[Role.PLATFORM_OWNER]
    assert (owner.tenant_id, owner.branch_id) == (None, None)
    assert owner.is_staff
    assert owner.is_superuser
    assert (users[Role.TENANT_ADMIN].tenant_id, users[Role.TENANT_ADMIN].branch_id) == (demo.pk, None)
    for role in (Role.BRANCH_MANAGER, Role.CASHIER):
        assert (users[role].tenant_id, users[role].branch_id) == (demo.pk, downtown.pk)
    for user in users.values():
        assert user.check_password(PASSWORD)
        assert user.is_active
    assert not any(users[role].is_staff for role in (Role.TENANT_ADMIN, Role.BRANCH_MANAGER, Role.CASHIER))


def test_every_demo_login_signs_in(debug, client):
    seed_demo()

    for role, email in EMAILS.items():
        response = client.post(
            "/api/v1/auth/login/", {"email": email, "password": PASSWORD}, content_type="application/json"
        )
        assert response.status_code == 200, (role, response.content)
        assert response.json()["user"]["role"] == role


def test_the_demo_cashier_signs_in_on_an_assigned_till(debug, client):
    seed_demo()
    tenant = Tenant.objects.get()
    with tenant_scope(tenant.id):
        till = Device.objects.get(code="POS1")

    response = client.post(
        "/api/v1/auth/login/",
        {"email": EMAILS[Role.CASHIER], "password": PASSWORD, "device": str(till.pk)},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


def test_a_second_run_changes_nothing_and_prints_the_same_logins(debug):
    first = seed_demo()
    before = every_row()

    second = seed_demo()

    assert every_row() == before
    assert "already exists" in second
    assert first.splitlines()[1:] == second.splitlines()[1:]


def test_prints_the_logins_and_the_devices(debug):
    out = seed_demo()

    lines = out.splitlines()
    logins = {}
    for role, email in EMAILS.items():
        (logins[role],) = [line for line in lines if email in line]
        assert logins[role].split()[:3] == [role, email, PASSWORD]
    assert logins[Role.BRANCH_MANAGER].endswith("BR1 Downtown")
    assert logins[Role.CASHIER].endswith("BR1 Downtown")
    assert logins[Role.TENANT_ADMIN].endswith(" -")
    tenant = Tenant.objects.get()
    with tenant_scope(tenant.id):
        devices = list(Device.objects.select_related("branch"))
    for device in devices:
        (line,) = [line for line in lines if str(device.pk) in line]
        assert line.split()[:2] == [str(device.pk), device.code]
        assert line.endswith(device.branch.code)
    assert 'POST /api/v1/auth/login/ with {"email": ..., "password": ...}' in out


def test_refuses_to_run_without_debug():
    with pytest.raises(CommandError, match="--force"):
        seed_demo()

    assert every_row() == {
        "tenants": set(),
        "branches": set(),
        "devices": set(),
        "assignments": set(),
        "users": set(),
    }


def test_force_runs_it_without_debug():
    out = seed_demo("--force")

    assert Tenant.objects.filter(slug="demo").exists()
    assert EMAILS[Role.CASHIER] in out


def test_a_taken_email_fails_the_whole_seed_and_leaves_nothing_behind(debug):
    User.objects.create_superuser(EMAILS[Role.CASHIER], "someone-else-entirely-1")

    with pytest.raises(CommandError, match="email address cannot be used"):
        seed_demo()

    rows = every_row()
    assert rows["tenants"] == rows["branches"] == rows["devices"] == rows["assignments"] == set()
    assert User.objects.get().email == EMAILS[Role.CASHIER]


def test_the_demo_has_a_translated_catalog_with_stock_in_both_branches(debug):
    from cliqserve.catalog.models import Product
    from cliqserve.inventory.models import StockLevel

    seed_demo()

    tenant = Tenant.objects.get(slug="demo")
    with tenant_scope(tenant.pk):
        products = list(Product.objects.prefetch_related("translations"))
        levels = list(StockLevel.objects.select_related("branch"))
    assert 40 <= len(products) <= 60
    assert all({t.language_code for t in p.translations.all()} == {"en", "es", "fr"} for p in products)
    tracked = [p for p in products if p.track_stock]
    assert {level.branch.code for level in levels} == {"BR1", "BR2"}
    assert len(levels) == 2 * len(tracked)
    assert all(level.quantity > 0 and level.average_cost > 0 for level in levels)
    call_command("verify_stock", stdout=io.StringIO())  # ledger equals levels


def test_an_older_demo_tenant_without_a_catalog_gets_one_once(debug):
    from cliqserve.demo import catalog as demo

    original = demo.seed_demo_catalog
    demo_module_seed = "cliqserve.demo.management.commands.seed_demo.seed_demo_catalog"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo_module_seed, lambda **kwargs: 0)
        seed_demo()  # a demo made before the catalog existed

    second = seed_demo()
    third = seed_demo()

    assert "Added the demo catalog" in second
    assert "nothing changed" in third
    assert original is demo.seed_demo_catalog
