"""A staff member's data rights: the tenant admin exports their personal data and erases a
former employee (issue 12, item 7)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cliqserve.accounts.models import User
from cliqserve.core.audit import PERSONAL
from cliqserve.core.models import AuditEvent
from cliqserve.sales.models import Sale
from cliqserve.sales.tests.helpers import cash_sale, open_shift, stocked
from cliqserve.tenants.models import DeviceAssignment
from conftest import client_for
from tests.factories import PASSWORD


def export_url(user: User) -> str:
    return f"/api/v1/users/{user.pk}/export/"


def erase_url(user: User) -> str:
    return f"/api/v1/users/{user.pk}/erase/"


def test_an_export_holds_the_profile_the_tills_and_their_part_of_the_trail(world, api_client):
    cashier = world.a.cashier
    api_client.post(
        reverse("auth-login"),
        {"email": cashier.email, "password": PASSWORD, "device": str(world.a.device.pk)},
        format="json",
        HTTP_USER_AGENT="Till/7",
    )
    admin = client_for(world.a.tenant_admin)

    with CaptureQueriesContext(connection) as queries:
        response = admin.get(export_url(cashier))

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["profile"]["email"] == "cashier@a.test"
    assert data["profile"]["id"] == str(cashier.pk)
    assert data["devices"] == [
        {"device": str(world.a.device.pk), "code": "a-POS1", "name": world.a.device.name}
    ]
    [sign_in] = [event for event in data["activity"] if event["action"] == "login_succeeded"]
    assert (sign_in["ip"], sign_in["user_agent"]) == ("127.0.0.1", "Till/7")
    # auth, the user, devices, activity, the audit event: the same however much there is
    assert len(queries) <= 6
    exported = AuditEvent.objects.get(action="data_exported")
    assert (exported.actor_id, exported.object_id) == (world.a.tenant_admin.pk, str(cashier.pk))


def test_only_the_tenant_admin_answers_for_its_staff(world):
    before = AuditEvent.objects.count()

    by_manager = client_for(world.a.branch_manager).get(export_url(world.a.cashier))
    by_other_tenant = client_for(world.b.tenant_admin).get(export_url(world.a.cashier))
    erase_by_manager = client_for(world.a.branch_manager).post(erase_url(world.a.cashier))

    assert (by_manager.status_code, by_other_tenant.status_code, erase_by_manager.status_code) == (
        403,
        404,
        403,
    )
    assert AuditEvent.objects.count() == before


def test_an_active_employee_is_not_erased(world):
    response = client_for(world.a.tenant_admin).post(erase_url(world.a.cashier))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "conflict"
    assert User.objects.get(pk=world.a.cashier.pk).email == "cashier@a.test"


def test_erasing_a_former_employee_pseudonymizes_them_and_sales_keep_an_anonymous_cashier(world):
    cashier = world.a.cashier
    sale = cash_sale(world.a, open_shift(world.a), (stocked(world.a, "ERASE-1"), 1), actor=cashier)
    token_client = client_for(cashier, device=world.a.device)
    admin = client_for(world.a.tenant_admin)
    admin.patch(f"/api/v1/users/{cashier.pk}/", {"is_active": False}, format="json")

    response = admin.post(erase_url(cashier))
    again = admin.post(erase_url(cashier))

    assert (response.status_code, again.status_code) == (200, 200)
    erased = User.objects.get(pk=cashier.pk)
    assert erased.email == f"erased-{cashier.pk.hex}@erased.invalid"
    assert (erased.first_name, erased.last_name) == ("", "")
    assert not erased.has_usable_password()
    assert erased.erased_at is not None
    assert not DeviceAssignment.objects.unscoped().filter(user=erased).exists()
    assert Sale.objects.unscoped().get(pk=sale.pk).cashier_id == cashier.pk
    assert token_client.get("/api/v1/auth/me/").status_code == 401
    [event] = AuditEvent.objects.filter(action="user_erased")
    assert event.changes == {name: [PERSONAL, PERSONAL] for name in ("email", "first_name", "last_name")}
    assert "cashier@a.test" not in str(list(AuditEvent.objects.values()))
    # The address is free again: the person may be hired back under it.
    rehired = admin.post(
        "/api/v1/users/",
        {
            "email": "cashier@a.test",
            "password": "a-long-enough-passphrase",
            "role": "cashier",
            "branch": str(world.a.branch.pk),
        },
        format="json",
    )
    assert rehired.status_code == 201, rehired.content
