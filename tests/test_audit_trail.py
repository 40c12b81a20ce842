"""The audit trail over HTTP, as an owner investigating would read it: each sensitive change
appears once, with the right actor and changes, and never with personal data."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from cliqserve.core.audit import PERSONAL
from cliqserve.core.models import AuditEvent
from cliqserve.sales.tests.helpers import D, keyed, open_shift, sale_body, stocked
from conftest import World, client_for

AUDIT = "/api/v1/audit-events/"


def events(world: World, **query: Any) -> list[dict[str, Any]]:
    response = client_for(world.a.tenant_admin).get(AUDIT, {"page_size": 200, **query})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def only(world: World, action: str) -> dict[str, Any]:
    found = events(world, action=action)
    assert len(found) == 1, found
    return found[0]


def test_a_price_change_names_the_admin_and_both_prices(world):
    item = stocked(world.a, "AUD-1", price=D("2.50"))

    response = client_for(world.a.tenant_admin).patch(
        f"/api/v1/products/{item.pk}/", {"price": "3.10"}, format="json", HTTP_USER_AGENT="BackOffice/1.0"
    )

    assert response.status_code == 200, response.content
    event = only(world, "product_price_changed")
    assert event["actor"] == str(world.a.tenant_admin.pk)
    assert event["actor_type"] == "user"
    assert (event["object_type"], event["object_id"], event["object_repr"]) == (
        "product",
        str(item.pk),
        "AUD-1",
    )
    assert event["changes"] == {"price": ["2.50", "3.10"]}
    assert event["tenant"] == str(world.a.tenant.pk)
    assert event["ip"] == "127.0.0.1"
    assert event["user_agent"] == "BackOffice/1.0"
    assert event["request_id"] == response["X-Request-ID"]


def test_a_change_that_moves_no_audited_field_writes_nothing(world):
    item = stocked(world.a, "AUD-2")

    client_for(world.a.tenant_admin).patch(f"/api/v1/products/{item.pk}/", {"barcode": "123"}, format="json")

    assert not AuditEvent.objects.filter(object_id=str(item.pk)).exists()


def _sell(
    world: World, user: Any, *, discount: str | None = None, price: str | None = None
) -> dict[str, Any]:
    item = stocked(world.a, "AUD-S", price=D("10.00"))
    shift = open_shift(world.a)
    body = sale_body(shift, (item, 1))
    if discount:
        body["lines"][0]["discount_percent"] = discount
    if price:
        body["lines"][0]["unit_price"] = price
    response = client_for(user, device=world.a.device).post("/api/v1/sales/", body, format="json", **keyed())
    assert response.status_code == 201, response.content
    sale: dict[str, Any] = response.json()
    return sale


def test_a_sale_within_the_limits_is_not_audited(world):
    _sell(world, world.a.cashier)

    assert not AuditEvent.objects.exists()


def test_a_managers_discount_above_the_cashier_limit_and_price_override_are_each_one_event(world):
    world.a.tenant.cashier_max_discount_percent = D("10")
    world.a.tenant.save()

    sale = _sell(world, world.a.branch_manager, discount="25", price="8.00")

    discount = only(world, "discount_over_limit")
    override = only(world, "price_override")
    assert discount["actor"] == override["actor"] == str(world.a.branch_manager.pk)
    assert discount["object_id"] == override["object_id"] == sale["id"]
    assert discount["changes"] == {"lines/0/discount_percent": ["10.00", "25.00"]}
    assert override["changes"] == {"lines/0/unit_price": ["10.00", "8.00"]}


def test_a_void_and_a_refund_each_appear_once_with_who_and_why(world):
    first, second = _sell(world, world.a.cashier), _sell(world, world.a.cashier)
    manager = client_for(world.a.branch_manager, device=world.a.device)

    voided = manager.post(f"/api/v1/sales/{first['id']}/void/", {"reason": "customer left"}, format="json")
    refund = manager.post(
        f"/api/v1/sales/{second['id']}/refunds/",
        {"lines": [{"sale_line": second["lines"][0]["id"], "quantity": "1"}], "reason": "damaged"},
        format="json",
        **keyed(),
    )

    assert voided.status_code == 200, voided.content
    assert refund.status_code == 201, refund.content
    void_event = only(world, "sale_voided")
    assert void_event["actor"] == str(world.a.branch_manager.pk)
    assert void_event["object_id"] == first["id"]
    assert void_event["changes"] == {"status": ["completed", "voided"], "void_reason": ["", "customer left"]}
    refund_event = only(world, "refund_created")
    assert refund_event["object_id"] == refund.json()["id"]
    assert refund_event["changes"]["sale"] == [None, second["id"]]
    assert refund_event["changes"]["reason"] == ["", "damaged"]


def test_a_role_change_records_the_roles_and_hides_personal_fields(world):
    admin = client_for(world.a.tenant_admin)

    response = admin.patch(
        f"/api/v1/users/{world.a.cashier.pk}/",
        {"role": "branch_manager", "first_name": "Renamed"},
        format="json",
    )

    assert response.status_code == 200, response.content
    event = only(world, "role_changed")
    assert event["actor"] == str(world.a.tenant_admin.pk)
    assert event["object_id"] == str(world.a.cashier.pk)
    assert event["changes"] == {"role": ["cashier", "branch_manager"], "first_name": [PERSONAL, PERSONAL]}
    assert "Renamed" not in str(event)
    assert "cashier@a.test" not in str(event)


def test_a_failed_login_is_in_the_accounts_tenant_without_email_or_password(world, api_client):
    response = api_client.post(
        reverse("auth-login"), {"email": "cashier@a.test", "password": "wrong-password-1"}, format="json"
    )

    assert response.status_code == 401
    event = only(world, "login_failed")
    assert (event["actor"], event["actor_type"]) == (None, "system")
    assert event["object_id"] == str(world.a.cashier.pk)
    assert event["changes"] == {"reason": [None, "bad_credentials"]}
    assert "cashier@a.test" not in str(event)
    assert "wrong-password-1" not in str(event)


def test_a_failed_login_for_an_unknown_email_is_the_platforms_alone(world, api_client):
    api_client.post(reverse("auth-login"), {"email": "nobody@x.test", "password": "pw-123456"}, format="json")

    assert events(world, action="login_failed") == []
    owner = client_for(world.platform_owner).get(AUDIT, {"action": "login_failed"}).json()["results"]
    assert [(e["tenant"], e["object_id"]) for e in owner] == [(None, "")]


def test_a_successful_login_and_logout_are_the_users_own(world, api_client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    password = "Correct-horse-9"
    world.a.cashier.set_password(password)
    world.a.cashier.save()

    login = api_client.post(
        reverse("auth-login"), {"email": "cashier@a.test", "password": password}, format="json"
    )
    api_client.post(reverse("auth-logout"), {"refresh": login.json()["refresh"]}, format="json")

    assert only(world, "login_succeeded")["actor"] == str(world.a.cashier.pk)
    assert only(world, "logout")["actor"] == str(world.a.cashier.pk)


def test_filters_narrow_the_trail_and_another_tenant_sees_none_of_it(world):
    item = stocked(world.a, "AUD-F", price=D("1.00"))
    admin = client_for(world.a.tenant_admin)
    admin.patch(f"/api/v1/products/{item.pk}/", {"price": "1.50"}, format="json")
    admin.patch(f"/api/v1/users/{world.a.cashier.pk}/", {"is_active": False}, format="json")

    assert [e["action"] for e in events(world, object_id=str(item.pk))] == ["product_price_changed"]
    assert [e["action"] for e in events(world, object_type="user")] == ["user_deactivated"]
    assert len(events(world, actor=str(world.a.tenant_admin.pk))) == 2
    assert events(world, actor=str(world.a.cashier.pk)) == []
    assert events(world, **{"from": "2999-01-01T00:00:00Z"}) == []
    other = client_for(world.b.tenant_admin).get(AUDIT).json()["results"]
    assert other == []
    owner = client_for(world.platform_owner).get(AUDIT, {"tenant": str(world.a.tenant.pk)}).json()["results"]
    assert len(owner) == 2


@pytest.mark.parametrize("query", [{"from": "yesterday"}, {"actor": "not-a-uuid"}, {"tenant": "x"}])
def test_a_bad_filter_is_a_validation_error(world, query):
    response = client_for(world.a.tenant_admin).get(AUDIT, query)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "validation_error"


def test_the_trail_is_read_only_over_http(world):
    item = stocked(world.a, "AUD-R", price=D("1.00"))
    admin = client_for(world.a.tenant_admin)
    admin.patch(f"/api/v1/products/{item.pk}/", {"price": "2.00"}, format="json")
    event = only(world, "product_price_changed")

    for method in ("put", "patch", "delete"):
        response = getattr(admin, method)(f"{AUDIT}{event['id']}/", {"action": "x"}, format="json")
        assert response.status_code == 405
    assert only(world, "product_price_changed") == event
