"""The Django admin, as platform staff use it: every tenant's rows, in a bounded number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from cliqserve.accounts.models import User
from cliqserve.core.roles import Role
from cliqserve.tenants.models import Branch, Device, DeviceAssignment, Tenant
from tests.factories import BranchFactory, DeviceFactory, TenantFactory, UserFactory

STAFF_PASSWORD = "quiet-meadow-lantern-3"
NEW_PASSWORD = "copper-tide-whistle-8"
# Queries for one admin page, whatever the number of rows (10 at most today): session, user,
# permissions and the page's own reads. A page that grows with its rows breaks it at once.
PAGE_BUDGET = 12

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    superuser = User.objects.create_superuser("staff@platform.test", STAFF_PASSWORD)
    client.force_login(superuser)
    return client


def add_rows(count: int) -> None:
    """`count` more branches, each with a device used by a cashier, in a tenant of their own."""
    tenant = TenantFactory()
    for _ in range(count):
        branch = BranchFactory(tenant=tenant)
        cashier = UserFactory(role=Role.CASHIER, tenant=tenant, branch=branch)
        DeviceFactory(branch=branch, assigned_users=[cashier])


def objects(world) -> dict[str, Any]:
    return {
        "accounts_user": world.a.cashier,
        "tenants_tenant": world.a.tenant,
        "tenants_branch": world.a.branch,
        "tenants_device": world.a.device,
    }


@pytest.mark.parametrize("extra_rows", [0, 12])
@pytest.mark.parametrize("model", ["accounts_user", "tenants_tenant", "tenants_branch", "tenants_device"])
def test_changelist_lists_every_tenant_in_bounded_queries(
    staff, world, model, extra_rows, django_assert_max_num_queries
):
    add_rows(extra_rows)

    with django_assert_max_num_queries(PAGE_BUDGET):
        response = staff.get(reverse(f"admin:{model}_changelist"))

    assert response.status_code == 200
    # Rows of both tenants are listed: platform staff see every tenant.
    assert "Tenant A" in response.content.decode()
    assert "Tenant B" in response.content.decode()


@pytest.mark.parametrize("extra_rows", [0, 12])
@pytest.mark.parametrize("model", ["accounts_user", "tenants_tenant", "tenants_branch", "tenants_device"])
def test_change_page_answers_in_bounded_queries(
    staff, world, model, extra_rows, django_assert_max_num_queries
):
    add_rows(extra_rows)
    obj = objects(world)[model]

    with django_assert_max_num_queries(PAGE_BUDGET):
        response = staff.get(reverse(f"admin:{model}_change", args=[obj.pk]))

    assert response.status_code == 200
    assert str(obj) in response.content.decode()


def test_device_page_shows_its_assignments(staff, world):
    response = staff.get(reverse("admin:tenants_device_change", args=[world.a.device.pk]))

    assert response.status_code == 200
    assert world.a.cashier.email in response.content.decode()


def test_branch_choices_of_a_device_are_its_tenants_only(staff, world):
    response = staff.get(reverse("admin:tenants_device_change", args=[world.a.device.pk]))

    choices = response.context["adminform"].form.fields["branch"].queryset
    assert set(choices) == {world.a.branch, world.a.other_branch}


def test_nobody_deletes_rows_that_history_depends_on(staff, world):
    for model, obj in objects(world).items():
        response = staff.get(reverse(f"admin:{model}_delete", args=[obj.pk]))
        assert response.status_code == 403, model


# --- Users ---------------------------------------------------------------------------------


def user_form(world, **overrides: object) -> dict[str, object]:
    return {
        "email": "New.Cashier@A.test",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "role": Role.CASHIER,
        "tenant": world.a.tenant.pk,
        "branch": world.a.branch.pk,
        "first_name": "",
        "last_name": "",
        **overrides,
    }


def test_user_add_page_answers(staff, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(PAGE_BUDGET):
        response = staff.get(reverse("admin:accounts_user_add"))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert {"email", "password1", "password2", "role", "tenant", "branch"} <= set(form.fields)
    assert Role.PLATFORM_OWNER not in dict(form.fields["role"].choices)


def test_user_add_creates_a_user_who_can_sign_in(staff, world, client):
    response = staff.post(reverse("admin:accounts_user_add"), user_form(world))

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.cashier@a.test")
    assert (user.role, user.tenant, user.branch) == (Role.CASHIER, world.a.tenant, world.a.branch)
    assert user.check_password(NEW_PASSWORD)
    assert not user.is_staff


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "something-else-entirely-5"}, "password2"),
        ({"password1": "short", "password2": "short"}, "password2"),
        ({"role": Role.PLATFORM_OWNER, "tenant": "", "branch": ""}, "role"),
        ({"branch": ""}, "branch"),
        ({"tenant": ""}, "tenant"),
        ({"role": Role.TENANT_ADMIN}, "branch"),
    ],
)
def test_user_add_refuses_what_the_rules_forbid(staff, world, overrides, field):
    users_before = User.objects.count()

    response = staff.post(reverse("admin:accounts_user_add"), user_form(world, **overrides))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert User.objects.count() == users_before


def test_user_add_refuses_a_branch_of_another_tenant(staff, world):
    response = staff.post(reverse("admin:accounts_user_add"), user_form(world, branch=world.b.branch.pk))

    assert response.status_code == 200
    assert "another tenant" in str(response.context["adminform"].form.errors["branch"])
    assert not User.objects.filter(email="new.cashier@a.test").exists()


def test_user_change_refuses_admin_access_for_tenant_roles(staff, world):
    cashier = world.a.cashier
    data = {
        "email": cashier.email,
        "role": cashier.role,
        "branch": cashier.branch_id,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    response = staff.post(reverse("admin:accounts_user_change", args=[cashier.pk]), data)

    assert response.status_code == 200
    assert "is_staff" in response.context["adminform"].form.errors
    cashier.refresh_from_db()
    assert not cashier.is_staff


def test_user_password_change_page_sets_the_password(staff, world):
    url = reverse("admin:auth_user_password_change", args=[world.a.cashier.pk])
    assert staff.get(url).status_code == 200

    response = staff.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )

    assert response.status_code == 302
    world.a.cashier.refresh_from_db()
    assert world.a.cashier.check_password(NEW_PASSWORD)


# --- Tenant-owned rows ----------------------------------------------------------------------


def test_branch_add_checks_the_code_within_its_tenant(staff, world):
    url = reverse("admin:tenants_branch_add")
    taken = {
        "tenant": world.a.tenant.pk,
        "code": world.a.branch.code.lower(),
        "name": "Again",
        "timezone": "UTC",
    }

    refused = staff.post(url, {**taken, "is_active": "on"})
    # The same code in another tenant is fine: codes are unique per tenant.
    accepted = staff.post(url, {**taken, "tenant": world.b.tenant.pk, "is_active": "on"})

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors
    assert accepted.status_code == 302
    assert Branch.objects.unscoped().filter(code=world.a.branch.code.lower(), tenant=world.b.tenant).exists()


def test_branch_change_checks_the_code_within_its_tenant(staff, world):
    url = reverse("admin:tenants_branch_change", args=[world.a.branch.pk])
    data = {"code": world.a.other_branch.code, "name": "Clash", "timezone": "UTC", "is_active": "on"}

    refused = staff.post(url, data)
    # Another tenant's code is no clash.
    accepted = staff.post(url, {**data, "code": world.b.branch.code})

    assert refused.status_code == 200
    assert "branch_code_unique_per_tenant" in str(refused.context["adminform"].form.errors)
    assert accepted.status_code == 302
    assert Branch.objects.unscoped().get(pk=world.a.branch.pk).code == world.b.branch.code


def test_tenant_of_a_branch_is_fixed_once_created(staff, world):
    url = reverse("admin:tenants_branch_change", args=[world.a.branch.pk])
    data = {
        "tenant": world.b.tenant.pk,
        "code": "MOVED",
        "name": "Moved",
        "timezone": "UTC",
        "is_active": "on",
    }

    response = staff.post(url, data)

    assert response.status_code == 302
    branch = Branch.objects.unscoped().get(pk=world.a.branch.pk)
    assert (branch.code, branch.tenant_id) == ("MOVED", world.a.tenant.pk)


def device_form(device: Device, *assignments: tuple[object, object]) -> dict[str, object]:
    """The device change form, with inline rows of (assignment id or "", user id)."""
    data: dict[str, object] = {
        "branch": device.branch_id,
        "code": device.code,
        "name": device.name,
        "is_active": "on",
        "assignments-TOTAL_FORMS": len(assignments),
        "assignments-INITIAL_FORMS": sum(1 for pk, _ in assignments if pk),
        "assignments-MIN_NUM_FORMS": 0,
        "assignments-MAX_NUM_FORMS": 1000,
    }
    for index, (pk, user) in enumerate(assignments):
        data[f"assignments-{index}-id"] = pk
        data[f"assignments-{index}-device"] = device.pk
        data[f"assignments-{index}-user"] = user
    return data


def test_device_assignment_added_in_the_admin_takes_the_devices_tenant(staff, world):
    device, manager = world.a.device, world.a.branch_manager
    existing = DeviceAssignment.objects.unscoped().get(device=device)

    response = staff.post(
        reverse("admin:tenants_device_change", args=[device.pk]),
        device_form(device, (existing.pk, world.a.cashier.pk), ("", manager.pk)),
    )

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    added = DeviceAssignment.objects.unscoped().get(device=device, user=manager)
    assert added.tenant_id == world.a.tenant.pk


@pytest.mark.parametrize(
    ("assignee", "message"),
    [
        (lambda world: world.b.cashier, "another tenant"),
        (lambda world: world.a.other_cashier, "another branch"),
        (lambda world: world.a.cashier, "assigned twice"),
    ],
)
def test_device_assignment_refuses_what_the_services_refuse(staff, world, assignee, message):
    device = world.a.device
    existing = DeviceAssignment.objects.unscoped().get(device=device)
    before = set(DeviceAssignment.objects.unscoped().values_list("id", flat=True))

    response = staff.post(
        reverse("admin:tenants_device_change", args=[device.pk]),
        device_form(device, (existing.pk, world.a.cashier.pk), ("", assignee(world).pk)),
    )

    assert response.status_code == 200
    assert message in str(response.context["inline_admin_formsets"][0].formset.errors)
    assert set(DeviceAssignment.objects.unscoped().values_list("id", flat=True)) == before


def test_device_refuses_a_branch_of_another_tenant(staff, world):
    device = world.a.device
    data = {**device_form(device), "branch": world.b.branch.pk}

    response = staff.post(reverse("admin:tenants_device_change", args=[device.pk]), data)

    assert response.status_code == 200
    assert "branch" in response.context["adminform"].form.errors
    assert Device.objects.unscoped().get(pk=device.pk).branch_id == world.a.branch.pk


def test_device_add_page_lists_branches_of_every_tenant_by_tenant(staff, world):
    response = staff.get(reverse("admin:tenants_device_add"))

    assert response.status_code == 200
    field = response.context["adminform"].form.fields["branch"]
    assert set(field.queryset) == set(Branch.objects.unscoped())
    assert field.label_from_instance(world.b.branch) == f"Tenant B / {world.b.branch}"


def test_tenant_add_creates_a_tenant(staff):
    data = {
        "name": "Corner Shop",
        "slug": "corner",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "default_language": "fr",
        "is_active": "on",
    }

    response = staff.post(reverse("admin:tenants_tenant_add"), data)

    assert response.status_code == 302
    assert Tenant.objects.get(slug="corner").currency == "EUR"
