"""End-to-end journeys over HTTP, as a platform operator and a shop would live them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cliqserve.accounts.api.throttles import LoginThrottle
from cliqserve.accounts.models import User
from cliqserve.tenants.models import Branch
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signed_in(email: str, password: str) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/login/", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def test_platform_owner_onboards_two_businesses_that_never_see_each_other():
    UserFactory(email="owner@platform.test", role="platform_owner", tenant=None, branch=None)
    owner = signed_in("owner@platform.test", PASSWORD)
    admins = {}
    for slug, currency in (("north", "EUR"), ("south", "JPY")):
        tenant = owner.post(
            "/api/v1/tenants/",
            {"name": slug.title(), "slug": slug, "currency": currency, "timezone": "Asia/Tokyo"},
            format="json",
        )
        assert tenant.status_code == 201, tenant.content
        admin = owner.post(
            "/api/v1/users/",
            {
                "email": f"admin@{slug}.test",
                "password": "a-long-enough-passphrase",
                "role": "tenant_admin",
                "tenant": tenant.json()["id"],
            },
            format="json",
        )
        assert admin.status_code == 201, admin.content
        admins[slug] = signed_in(f"admin@{slug}.test", "a-long-enough-passphrase")

    north = admins["north"]
    branch = north.post(
        "/api/v1/branches/", {"name": "Main", "code": "BR1", "timezone": "Europe/Oslo"}, format="json"
    )
    cashier = north.post(
        "/api/v1/users/",
        {
            "email": "kari@north.test",
            "password": "a-long-enough-passphrase",
            "role": "cashier",
            "branch": branch.json()["id"],
        },
        format="json",
    )
    device = north.post(
        "/api/v1/devices/",
        {
            "branch": branch.json()["id"],
            "name": "Till 1",
            "code": "POS1",
            "assigned_users": [cashier.json()["id"]],
        },
        format="json",
    )
    assert (branch.status_code, cashier.status_code, device.status_code) == (201, 201, 201)
    assert device.json()["assigned_users"] == [cashier.json()["id"]]

    south = admins["south"]
    assert south.get(f"/api/v1/branches/{branch.json()['id']}/").status_code == 404
    assert south.get(f"/api/v1/devices/{device.json()['id']}/").status_code == 404
    assert (
        south.patch(f"/api/v1/users/{cashier.json()['id']}/", {"first_name": "x"}, format="json").status_code
        == 404
    )
    assert south.get("/api/v1/branches/").json()["results"] == []
    # South may reuse North's codes: uniqueness is per tenant.
    assert south.post("/api/v1/branches/", {"name": "Main", "code": "br1"}, format="json").status_code == 201

    till = APIClient().post(
        "/api/v1/auth/login/",
        {"email": "kari@north.test", "password": "a-long-enough-passphrase", "device": device.json()["id"]},
        format="json",
    )
    assert till.status_code == 200
    assert till.json()["user"]["branch"] == branch.json()["id"]


def test_nobody_edits_their_own_role_tenant_or_branch(world):
    from conftest import client_for

    for role in ("tenant_admin", "branch_manager"):
        user = world.a.user(role)
        before = User.objects.filter(pk=user.pk).values().get()

        response = client_for(user).patch(
            f"/api/v1/users/{user.pk}/", {"role": "tenant_admin", "first_name": "Me"}, format="json"
        )

        assert response.status_code in (403, 404)
        assert User.objects.filter(pk=user.pk).values().get() == before


def test_non_owner_cannot_set_the_tenant_of_a_user(world):
    from conftest import client_for

    response = client_for(world.a.tenant_admin).post(
        "/api/v1/users/",
        {
            "email": "mole@a.test",
            "password": "a-long-enough-passphrase",
            "role": "cashier",
            "branch": str(world.a.branch.pk),
            "tenant": str(world.b.tenant.pk),
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/tenant"
    assert not User.objects.filter(email="mole@a.test").exists()


def test_login_is_throttled_per_client_address(api_client, world, monkeypatch):
    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "3/minute")
    for _ in range(3):
        api_client.post("/api/v1/auth/login/", {"email": "x@a.test", "password": "nope"}, format="json")

    response = api_client.post(
        "/api/v1/auth/login/", {"email": "cashier@a.test", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "rate_limit_exceeded"
    assert int(response["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": "X", "slug": "x", "currency": "ZZZ"}, "/currency"),
        ({"name": "X", "slug": "x", "currency": "EUR", "timezone": "Mars/Olympus"}, "/timezone"),
        ({"name": "X", "slug": "x", "currency": "EUR", "default_language": "tlh"}, "/default_language"),
        ({"name": "X", "slug": "not a slug", "currency": "EUR"}, "/slug"),
        ({"name": "X", "slug": "x", "currency": "EUR", "id": "7"}, "/id"),
        ({"name": "X", "slug": "x", "currency": "EUR", "colour": "red"}, "/colour"),
    ],
)
def test_tenant_input_errors_name_the_field_and_create_nothing(world, body, pointer):
    from cliqserve.tenants.models import Tenant
    from conftest import client_for

    before = Tenant.objects.count()

    response = client_for(world.platform_owner).post("/api/v1/tenants/", body, format="json")

    assert response.status_code == 400
    assert [e["source"]["pointer"] for e in response.json()["errors"]] == [pointer]
    assert Tenant.objects.count() == before


def test_duplicate_codes_are_refused_case_insensitively_within_a_tenant(world):
    from conftest import client_for

    admin = client_for(world.a.tenant_admin)

    response = admin.post(
        "/api/v1/branches/", {"name": "Again", "code": world.a.branch.code.lower()}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/code"
    assert Branch.objects.unscoped().filter(tenant=world.a.tenant).count() == 2


def test_duplicate_email_is_a_clean_400(world):
    from conftest import client_for

    response = client_for(world.a.tenant_admin).post(
        "/api/v1/users/",
        {
            "email": "CASHIER@b.test",
            "password": "a-long-enough-passphrase",
            "role": "cashier",
            "branch": str(world.a.branch.pk),
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/email"


def test_weak_passwords_are_refused(world):
    from conftest import client_for

    response = client_for(world.a.tenant_admin).post(
        "/api/v1/users/",
        {"email": "weak@a.test", "password": "12345", "role": "cashier", "branch": str(world.a.branch.pk)},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/password"


def test_deactivating_a_device_keeps_the_row(world):
    from cliqserve.tenants.models import Device
    from conftest import client_for

    response = client_for(world.a.tenant_admin).delete(f"/api/v1/devices/{world.a.device.pk}/")

    assert response.status_code == 204
    device = Device.objects.unscoped().get(pk=world.a.device.pk)
    assert device.is_active is False


def test_lists_page_with_cursors_to_the_end(world):
    from conftest import client_for
    from tests.factories import BranchFactory

    for _ in range(5):
        BranchFactory(tenant=world.a.tenant)
    client = client_for(world.a.tenant_admin)
    seen, url = [], "/api/v1/branches/?page_size=3"
    while url:
        page = client.get(url).json()
        assert set(page) == {"results", "next", "previous"}
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    assert len(seen) == len(set(seen)) == 7
