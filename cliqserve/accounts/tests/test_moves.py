"""A user moved to another branch loses the tills of its old branch, at once and everywhere
(issue 10): sign-in on the device, opening a shift, selling and offline sync all stop."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cliqserve.accounts.models import User
from cliqserve.sales.models import Sale, Shift
from cliqserve.sales.tests.helpers import keyed, open_shift, sale_body, stocked
from cliqserve.tenants.models import DeviceAssignment
from conftest import client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


def user_url(user: Any) -> str:
    return f"/api/v1/users/{user.pk}/"


def assignments_of(user: Any) -> set[Any]:
    return set(DeviceAssignment.objects.unscoped().filter(user=user).values_list("device_id", flat=True))


def move(world: Any, user: Any, **body: Any) -> Any:
    return client_for(world.a.tenant_admin).patch(user_url(user), body, format="json")


def test_a_moved_cashier_can_no_longer_use_the_old_branchs_till(world):
    a = world.a
    # Signed in on its till before the move: that token keeps its device claim.
    old_token_client = client_for(a.cashier, device=a.device)

    response = move(world, a.cashier, branch=str(a.other_branch.pk))

    assert response.status_code == 200, response.content
    assert assignments_of(a.cashier) == set()
    sign_in = APIClient().post(
        LOGIN, {"email": a.cashier.email, "password": PASSWORD, "device": str(a.device.pk)}, format="json"
    )
    assert sign_in.status_code == 400
    assert sign_in.json()["errors"][0]["source"]["pointer"] == "/device"
    opened = old_token_client.post(
        "/api/v1/shifts/", {"device": str(a.device.pk), "opening_cash": "10.00"}, format="json"
    )
    assert opened.status_code == 403
    assert not Shift.objects.unscoped().filter(cashier=a.cashier).exists()
    item = stocked(a, "MOVE-1")
    offline = {
        "client_id": str(uuid.uuid4()),
        "receipt_number": "OFF-MOVED-1",
        "created_at": timezone.now().isoformat(),
        "lines": [{"product": str(item.pk), "quantity": "1"}],
        "payments": [{"method": "cash", "amount": "1000.00"}],
    }
    synced = old_token_client.post(
        "/api/v1/sync/sales/", {"device": str(a.device.pk), "sales": [offline]}, format="json"
    )
    assert synced.status_code == 403
    assert synced.json()["errors"][0]["source"]["pointer"] == "/device"
    # The manager's shift on the old till is there; the moved cashier may not sell on it.
    shift = open_shift(a, cashier=a.branch_manager)
    sold = old_token_client.post("/api/v1/sales/", sale_body(shift, (item, 1)), format="json", **keyed())
    assert sold.status_code == 403
    assert not Sale.objects.unscoped().filter(cashier=a.cashier).exists()


def test_a_move_keeps_the_assignments_in_the_new_branch(world):
    from tests.factories import DeviceFactory

    a = world.a
    new_till = DeviceFactory(branch=a.other_branch, code="a-POS7", assigned_users=[a.cashier])

    response = move(world, a.cashier, branch=str(a.other_branch.pk))

    assert response.status_code == 200
    assert assignments_of(a.cashier) == {new_till.pk}


def test_an_edit_that_keeps_the_branch_keeps_the_assignments(world):
    a = world.a

    response = move(world, a.cashier, first_name="Renamed")

    assert response.status_code == 200
    assert assignments_of(a.cashier) == {a.device.pk}


def test_moving_a_cashier_with_an_open_shift_is_409_naming_it_and_changes_nothing(world):
    a = world.a
    shift = open_shift(a)
    before = User.objects.filter(pk=a.cashier.pk).values().get()

    response = move(world, a.cashier, branch=str(a.other_branch.pk))

    assert response.status_code == 409
    [error] = response.json()["errors"]
    assert error["code"] == "conflict"
    assert error["meta"] == {"shift": str(shift.pk)}
    assert str(shift.pk) in error["detail"]
    assert User.objects.filter(pk=a.cashier.pk).values().get() == before
    assert assignments_of(a.cashier) == {a.device.pk}


# --- The same rules in the Django admin -------------------------------------------------------------


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_superuser("staff@platform.test", "quiet-meadow-lantern-3"))
    return client


def admin_move(staff: Any, user: Any, branch: Any) -> Any:
    data = {
        "email": user.email,
        "role": user.role,
        "branch": branch.pk,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    return staff.post(reverse("admin:accounts_user_change", args=[user.pk]), data)


def test_a_move_in_the_admin_drops_the_old_branchs_tills(staff, world):
    a = world.a

    response = admin_move(staff, a.cashier, a.other_branch)

    assert response.status_code == 302
    a.cashier.refresh_from_db()
    assert a.cashier.branch_id == a.other_branch.pk
    assert assignments_of(a.cashier) == set()


def test_a_move_in_the_admin_with_an_open_shift_is_refused_on_the_branch(staff, world):
    a = world.a
    shift = open_shift(a)

    response = admin_move(staff, a.cashier, a.other_branch)

    assert response.status_code == 200
    assert str(shift.pk) in str(response.context["adminform"].form.errors["branch"])
    a.cashier.refresh_from_db()
    assert a.cashier.branch_id == a.branch.pk
    assert assignments_of(a.cashier) == {a.device.pk}
