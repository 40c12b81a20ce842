"""The review queue: GET /api/v1/sales/?needs_review=true and POST /api/v1/sales/{id}/review/."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.utils import timezone

from cliqserve.core.errors import InvalidInput, NotPermitted
from cliqserve.core.tenancy import tenant_scope
from cliqserve.sales.models import Sale
from cliqserve.sales.services import review
from conftest import client_for
from tests.parallel import outcome, run_in_parallel

from .helpers import D, cash_sale, open_shift, stocked

NOTE = {"note": "Checked with the cashier: the customer's loyalty price."}
SYNC = "/api/v1/sync/sales/"


def url(sale: Any) -> str:
    return f"/api/v1/sales/{sale.pk}/review/"


def offline(item: Any, *, unit_price: str | None = None) -> dict[str, Any]:
    """One offline sale of one unit rung up a minute ago."""
    client_id = uuid.uuid4()
    line: dict[str, Any] = {"product": str(item.pk), "quantity": "1"}
    if unit_price is not None:
        line["unit_price"] = unit_price
    return {
        "client_id": str(client_id),
        "receipt_number": f"OFF-{client_id.hex[:8]}",
        "created_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "lines": [line],
        "payments": [{"method": "cash", "amount": "100.00"}],
    }


def flagged(tw: Any, *, other_branch: bool = False) -> Sale:
    """An offline sale flagged for review, uploaded through the sync API.

    At the cashier's branch the cashier changed the price (`price_override`); at the other
    branch the admin's sale predates the device's shift (`outside_shift`)."""
    device = tw.other_device if other_branch else tw.device
    open_shift(tw, device=device, cashier=tw.other_cashier if other_branch else tw.cashier)
    item = stocked(tw, "REVIEW-1", branch=device.branch, price=D("5.00"))
    if other_branch:
        user, body = tw.tenant_admin, offline(item)
    else:
        shift = open_shift(tw)
        type(shift).objects.unscoped().filter(pk=shift.pk).update(
            opened_at=timezone.now() - timedelta(hours=1)
        )
        user, body = tw.cashier, offline(item, unit_price="3.00")
    response = client_for(user).post(SYNC, {"device": str(device.pk), "sales": [body]}, format="json")
    [result] = response.json()["results"]
    assert result["status"] == "created", result
    sale = Sale.objects.unscoped().get(pk=result["sale"])
    assert sale.needs_review
    return sale


def queue(user: Any) -> set[str]:
    response = client_for(user).get("/api/v1/sales/", {"needs_review": "true"})
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def row(sale: Sale) -> Any:
    return Sale.objects.unscoped().filter(pk=sale.pk).values().get()


def error(response: Any) -> dict[str, Any]:
    [only] = response.json()["errors"]
    return only


# --- Reviewing ------------------------------------------------------------------------------------


def test_a_manager_reviews_a_flagged_sale_and_it_leaves_the_queue_keeping_its_reasons(world):
    sale = flagged(world.a)
    manager = world.a.branch_manager
    assert str(sale.pk) in queue(manager)

    response = client_for(manager).post(url(sale), NOTE, format="json")

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["id"] == str(sale.pk)
    assert answer["needs_review"] is False
    assert answer["review_reasons"] == ["price_override"]
    assert answer["reviewed_by"] == str(manager.pk)
    assert answer["review_note"] == NOTE["note"]
    assert answer["reviewed_at"] is not None
    assert answer["total"] == "3.00"
    assert str(sale.pk) not in queue(manager)
    assert str(sale.pk) not in queue(world.a.tenant_admin)
    sale.refresh_from_db()
    assert (sale.needs_review, sale.reviewed_by_id, sale.review_note) == (False, manager.pk, NOTE["note"])
    assert sale.review_reasons == ["price_override"]


def test_the_note_is_kept_without_surrounding_blanks(world):
    sale = flagged(world.a)

    response = client_for(world.a.tenant_admin).post(url(sale), {"note": "  looked fine \n"}, format="json")

    assert response.json()["review_note"] == "looked fine"


def test_the_admin_reviews_a_sale_of_any_branch(world):
    sale = flagged(world.a, other_branch=True)

    response = client_for(world.a.tenant_admin).post(url(sale), NOTE, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["review_reasons"] == ["outside_shift"]


def test_a_review_is_logged_as_a_security_event_without_the_note(
    world, json_logs, django_capture_on_commit_callbacks
):
    sale = flagged(world.a)

    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.a.branch_manager).post(url(sale), NOTE, format="json")

    [logged] = [r for r in json_logs.records if r.get("event") == "sale_reviewed"]
    assert logged["sale_id"] == str(sale.pk)
    assert logged["actor_id"] == str(world.a.branch_manager.pk)
    assert logged["tenant_id"] == str(world.a.tenant.pk)
    assert logged["review_reasons"] == "price_override"
    assert NOTE["note"] not in json_logs.text


# --- Refusals -------------------------------------------------------------------------------------


def test_reviewing_twice_is_a_conflict_and_keeps_the_first_review(world):
    sale = flagged(world.a)
    client_for(world.a.branch_manager).post(url(sale), NOTE, format="json")
    first = row(sale)

    response = client_for(world.a.tenant_admin).post(url(sale), {"note": "again"}, format="json")

    assert response.status_code == 409
    assert error(response)["code"] == "conflict"
    assert row(sale) == first


def test_a_sale_that_needs_no_review_is_a_conflict(world):
    sale = cash_sale(world.a, open_shift(world.a), (stocked(world.a, "PLAIN-1"), 1))
    before = row(sale)

    response = client_for(world.a.tenant_admin).post(url(sale), NOTE, format="json")

    assert response.status_code == 409
    assert error(response)["code"] == "conflict"
    assert row(sale) == before


@pytest.mark.parametrize(
    "body",
    [{}, {"note": ""}, {"note": "   "}, {"note": "x" * 501}, {"note": "ok", "needs_review": False}],
    ids=["missing", "empty", "blank", "too-long", "unknown-field"],
)
def test_a_missing_blank_or_too_long_note_is_refused_and_nothing_changes(world, body):
    sale = flagged(world.a)
    before = row(sale)

    response = client_for(world.a.tenant_admin).post(url(sale), body, format="json")

    assert response.status_code == 400
    problem = error(response)
    assert problem["code"] == "validation_error"
    assert problem["source"]["pointer"] in ("/note", "/needs_review")
    assert row(sale) == before


def test_a_cashier_may_not_review_even_its_own_sale(world):
    sale = flagged(world.a)
    before = row(sale)

    response = client_for(world.a.cashier).post(url(sale), NOTE, format="json")

    assert response.status_code == 403
    assert error(response)["code"] == "permission_denied"
    assert row(sale) == before
    assert str(sale.pk) in queue(world.a.tenant_admin)


def test_a_manager_cannot_find_another_branchs_sale(world):
    sale = flagged(world.a, other_branch=True)
    before = row(sale)

    response = client_for(world.a.branch_manager).post(url(sale), NOTE, format="json")

    assert response.status_code == 404
    assert error(response)["code"] == "not_found"
    assert row(sale) == before


@pytest.mark.parametrize("role", ["tenant_admin", "branch_manager"])
def test_another_tenants_sale_is_not_found_and_unchanged(world, role):
    sale = flagged(world.b)
    before = row(sale)

    response = client_for(world.a.user(role)).post(url(sale), NOTE, format="json")

    assert response.status_code == 404
    assert row(sale) == before
    assert str(sale.pk) in queue(world.b.tenant_admin)


def test_a_review_costs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    sale = flagged(world.a)
    client = client_for(world.a.tenant_admin)
    client.get("/api/v1/auth/me/")

    with django_assert_max_num_queries(14):
        response = client.post(url(sale), NOTE, format="json")

    assert response.status_code == 200


# --- Concurrency ----------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviews_racing_give_one_review_and_one_conflict(world):
    sale = flagged(world.a)
    admin, manager = client_for(world.a.tenant_admin), client_for(world.a.branch_manager)
    for client in (admin, manager):
        assert client.get(f"/api/v1/sales/{sale.pk}/").status_code == 200

    results = run_in_parallel(
        [
            partial(admin.post, url(sale), {"note": "admin looked"}, format="json"),
            partial(manager.post, url(sale), {"note": "manager looked"}, format="json"),
        ]
    )

    assert sorted(outcome(response) for response in results) == [(200, None), (409, "conflict")]
    winner = next(response for response in results if response.status_code == 200).json()
    sale.refresh_from_db()
    assert (str(sale.reviewed_by_id), sale.review_note) == (winner["reviewed_by"], winner["review_note"])
    assert sale.needs_review is False


# --- The service on its own -------------------------------------------------------------------------


def _review(tw: Any, actor: Any, sale: Sale, note: str) -> Sale:
    with tenant_scope(tw.tenant.pk):
        return review.sale_review(tenant=tw.tenant, actor=actor, sale=sale, note=note)


@pytest.mark.parametrize("note", ["", " \t\n", "x" * 501], ids=["empty", "blank", "too-long"])
def test_the_service_refuses_a_blank_or_too_long_note(world, note):
    sale = flagged(world.a)
    before = row(sale)

    with pytest.raises(InvalidInput) as refused:
        _review(world.a, world.a.tenant_admin, sale, note)

    assert refused.value.pointer == "/note"
    assert row(sale) == before


def test_the_service_refuses_a_manager_of_another_branch(world):
    """The API answers 404 before this (the sale is out of the manager's sight)."""
    sale = flagged(world.a, other_branch=True)
    before = row(sale)

    with pytest.raises(NotPermitted):
        _review(world.a, world.a.branch_manager, sale, "looked")

    assert row(sale) == before
