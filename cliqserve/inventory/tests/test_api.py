"""The inventory over HTTP: the contract's fields, errors and scopes, and query budgets."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cliqserve.inventory.models import StockLevel, StockMovement, StockTransfer
from conftest import client_for
from tests.factories import BranchFactory, ProductFactory

from .helpers import (
    D,
    draft_transfer,
    keyed,
    ledger_sum,
    level,
    level_of,
    movement_of,
    product,
    receive,
    sent_transfer,
)

pytestmark = pytest.mark.django_db

LEVELS = "/api/v1/stock-levels/"
MOVEMENTS = "/api/v1/stock-movements/"
RECEIPTS = "/api/v1/stock-receipts/"
ADJUSTMENTS = "/api/v1/stock-adjustments/"
TRANSFERS = "/api/v1/stock-transfers/"


def receipt_body(branch, *lines, reference="PO-1"):
    return {
        "branch": str(branch.pk),
        "reference": reference,
        "lines": [
            {"product": str(item.pk), "quantity": str(quantity), "unit_cost": str(cost)}
            for item, quantity, cost in lines
        ],
    }


def only_error(response):
    [error] = response.json()["errors"]
    return error


# --- Receipts -----------------------------------------------------------------------------------


def test_receipts_at_two_costs_show_the_moving_average(world):
    admin = client_for(world.a.tenant_admin)
    beans = product(world.a.tenant, "BEANS")

    first = admin.post(RECEIPTS, receipt_body(world.a.branch, (beans, 10, "2.00")), format="json", **keyed())
    second = admin.post(RECEIPTS, receipt_body(world.a.branch, (beans, 30, "4.00")), format="json", **keyed())
    levels = admin.get(LEVELS, {"product": str(beans.pk)}).json()["results"]

    assert (first.status_code, second.status_code) == (201, 201)
    [movement] = first.json()["movements"]
    assert first.json()["branch"] == str(world.a.branch.pk)
    assert first.json()["reference"] == "PO-1"
    assert {
        key: movement[key] for key in ("product", "kind", "quantity", "unit_cost", "reference", "actor")
    } == {
        "product": str(beans.pk),
        "kind": "receipt",
        "quantity": "10.000",
        "unit_cost": "2.0000",
        "reference": "PO-1",
        "actor": str(world.a.tenant_admin.pk),
    }
    assert [(row["branch"], row["quantity"], row["average_cost"]) for row in levels] == [
        (str(world.a.branch.pk), "40.000", "3.5000")
    ]


@pytest.mark.parametrize(
    ("line", "pointer"),
    [
        ({"quantity": "0", "unit_cost": "1"}, "/lines/0/quantity"),
        ({"quantity": "1.0001", "unit_cost": "1"}, "/lines/0/quantity"),
        ({"quantity": "1", "unit_cost": "-1"}, "/lines/0/unit_cost"),
        ({"quantity": "1", "unit_cost": "NaN"}, "/lines/0/unit_cost"),
        ({"quantity": "1"}, "/lines/0/unit_cost"),
        ({"quantity": "1", "unit_cost": "1", "price": "2"}, "/lines/0/price"),
        (
            {"product": "00000000-0000-0000-0000-000000000000", "quantity": "1", "unit_cost": "1"},
            "/lines/0/product",
        ),
    ],
)
def test_a_bad_receipt_line_is_a_400_on_that_field_and_writes_nothing(world, line, pointer):
    beans = product(world.a.tenant, "BEANS")
    body = {"branch": str(world.a.branch.pk), "lines": [{"product": str(beans.pk), **line}]}

    response = client_for(world.a.tenant_admin).post(RECEIPTS, body, format="json", **keyed())

    assert response.status_code == 400, response.content
    assert pointer in {error["source"]["pointer"] for error in response.json()["errors"]}
    assert not StockMovement.objects.unscoped().exists()


def test_a_receipt_has_at_most_a_thousand_lines(world):
    beans = product(world.a.tenant, "BEANS")

    response = client_for(world.a.tenant_admin).post(
        RECEIPTS, receipt_body(world.a.branch, *[(beans, 1, "1")] * 1001), format="json", **keyed()
    )

    assert response.status_code == 400
    assert only_error(response)["source"] == {"pointer": "/lines"}


def test_a_receipt_naming_the_same_product_twice_is_refused(world):
    beans = product(world.a.tenant, "BEANS")

    response = client_for(world.a.tenant_admin).post(
        RECEIPTS, receipt_body(world.a.branch, (beans, 1, "1"), (beans, 2, "2")), format="json", **keyed()
    )

    assert response.status_code == 400
    assert only_error(response)["source"] == {"pointer": "/lines/1/product"}
    assert not StockMovement.objects.unscoped().exists()


def test_a_receipt_cannot_reach_another_tenants_branch_or_product(world):
    admin = client_for(world.a.tenant_admin)
    theirs = ProductFactory(tenant=world.b.tenant, sku="THEIRS")

    foreign_branch = admin.post(
        RECEIPTS, receipt_body(world.b.branch, (product(world.a.tenant), 1, "1")), format="json", **keyed()
    )
    foreign_product = admin.post(
        RECEIPTS, receipt_body(world.a.branch, (theirs, 1, "1")), format="json", **keyed()
    )

    assert foreign_branch.status_code == foreign_product.status_code == 400
    assert only_error(foreign_branch)["source"]["pointer"] == "/branch"
    assert only_error(foreign_product)["source"]["pointer"] == "/lines/0/product"
    assert not StockMovement.objects.unscoped().exists()
    assert not StockLevel.objects.unscoped().exists()


def test_an_untracked_product_is_refused_on_its_line(world):
    wrap = product(world.a.tenant, "WRAP", track_stock=False)

    response = client_for(world.a.tenant_admin).post(
        RECEIPTS, receipt_body(world.a.branch, (wrap, 1, "1")), format="json", **keyed()
    )

    assert response.status_code == 400
    assert only_error(response)["source"]["pointer"] == "/lines/0/product"


# --- Adjustments --------------------------------------------------------------------------------


def test_an_adjustment_below_zero_is_409_insufficient_stock_naming_the_product(world):
    beans = product(world.a.tenant, "BEANS", name="Espresso beans")
    receive(world.a, world.a.branch, beans, 2)
    body = {"branch": str(world.a.branch.pk), "product": str(beans.pk), "quantity_delta": "-5"}

    response = client_for(world.a.branch_manager).post(ADJUSTMENTS, body, format="json", **keyed())

    assert response.status_code == 409
    error = only_error(response)
    assert (error["code"], error["source"]) == ("insufficient_stock", {"pointer": "/quantity_delta"})
    assert "Espresso beans" in error["detail"]
    assert {key: error["meta"][key] for key in ("product", "branch", "available", "requested")} == {
        "product": str(beans.pk),
        "branch": str(world.a.branch.pk),
        "available": "2.000",
        "requested": "5.000",
    }
    assert level(world.a.branch, beans).quantity == D(2)


def test_a_count_and_a_delta_each_answer_their_movement(world):
    manager = client_for(world.a.branch_manager)
    beans = product(world.a.tenant, "BEANS")
    receive(world.a, world.a.branch, beans, 10, "1.50")
    target = {"branch": str(world.a.branch.pk), "product": str(beans.pk)}

    count = manager.post(
        ADJUSTMENTS, {**target, "counted_quantity": "8", "reason": "shelf"}, format="json", **keyed()
    )
    delta = manager.post(ADJUSTMENTS, {**target, "quantity_delta": "-1.5"}, format="json", **keyed())

    assert (count.status_code, delta.status_code) == (201, 201)
    assert {k: count.json()[k] for k in ("kind", "quantity", "unit_cost", "reason")} == {
        "kind": "count",
        "quantity": "-2.000",
        "unit_cost": "1.5000",
        "reason": "shelf",
    }
    assert (delta.json()["kind"], delta.json()["quantity"]) == ("adjustment", "-1.500")
    assert level(world.a.branch, beans).quantity == D("6.5") == ledger_sum(world.a.branch, beans)


@pytest.mark.parametrize("amount", [{}, {"quantity_delta": "1", "counted_quantity": "1"}])
def test_an_adjustment_needs_exactly_one_amount(world, amount):
    beans = product(world.a.tenant, "BEANS")
    body = {"branch": str(world.a.branch.pk), "product": str(beans.pk), **amount}

    response = client_for(world.a.tenant_admin).post(ADJUSTMENTS, body, format="json", **keyed())

    assert response.status_code == 400
    assert only_error(response)["code"] == "validation_error"
    assert not StockMovement.objects.unscoped().exists()


# --- Stock levels and movements -----------------------------------------------------------------


def test_stock_levels_filter_by_branch_product_and_low(world):
    admin = client_for(world.a.tenant_admin)
    low = level_of(world.a, world.a.branch, "LOW", quantity=2)
    fine = level_of(world.a, world.a.branch, "FINE", quantity=9)
    elsewhere = level_of(world.a, world.a.other_branch, "LOW", quantity=1)
    StockLevel.objects.unscoped().filter(pk__in=[low.pk, fine.pk]).update(reorder_level=3)

    def ids(**query):
        response = admin.get(LEVELS, query)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {str(low.pk), str(fine.pk), str(elsewhere.pk)}
    assert ids(branch=str(world.a.branch.pk)) == {str(low.pk), str(fine.pk)}
    assert ids(product=str(low.product_id)) == {str(low.pk), str(elsewhere.pk)}
    assert ids(low="true", branch=str(world.a.branch.pk)) == {str(low.pk)}
    assert ids(low="false") == {str(fine.pk), str(elsewhere.pk)}
    assert admin.get(LEVELS, {"branch": "not-a-uuid"}).status_code == 400


@pytest.mark.parametrize("role", ["branch_manager", "cashier"])
def test_branch_staff_see_the_stock_of_their_own_branch_only(world, role):
    mine = level_of(world.a, world.a.branch)
    theirs = level_of(world.a, world.a.other_branch)
    movement = movement_of(world.a, world.a.other_branch)
    client = client_for(world.a.user(role))

    levels = client.get(LEVELS).json()["results"]
    movements = client.get(MOVEMENTS).json()["results"]

    assert [row["id"] for row in levels] == [str(mine.pk)]
    assert {row["branch"] for row in movements} == {str(world.a.branch.pk)}
    assert client.get(f"{LEVELS}{theirs.pk}/").status_code == 404
    assert client.get(f"{MOVEMENTS}{movement.pk}/").status_code == 404


def test_the_reorder_level_is_the_only_writable_field(world):
    stock = level_of(world.a, world.a.branch, quantity=4)
    manager = client_for(world.a.branch_manager)

    patched = manager.patch(f"{LEVELS}{stock.pk}/", {"reorder_level": "6"}, format="json")
    put = manager.put(f"{LEVELS}{stock.pk}/", {"reorder_level": "7.5"}, format="json")
    read_only = manager.patch(f"{LEVELS}{stock.pk}/", {"quantity": "100"}, format="json")
    negative = manager.patch(f"{LEVELS}{stock.pk}/", {"reorder_level": "-1"}, format="json")
    deleted = manager.delete(f"{LEVELS}{stock.pk}/")

    assert (patched.status_code, patched.json()["reorder_level"]) == (200, "6.000")
    assert (put.status_code, put.json()["reorder_level"]) == (200, "7.500")
    assert read_only.status_code == negative.status_code == 400
    assert only_error(read_only)["source"]["pointer"] == "/quantity"
    assert (deleted.status_code, only_error(deleted)["code"]) == (405, "method_not_allowed")
    stock.refresh_from_db()
    assert (stock.quantity, stock.reorder_level) == (D(4), D("7.5"))


def test_movements_filter_by_branch_product_and_kind(world):
    admin = client_for(world.a.tenant_admin)
    beans, milk = product(world.a.tenant, "BEANS"), product(world.a.tenant, "MILK")
    receive(world.a, world.a.branch, beans, 5)
    receive(world.a, world.a.other_branch, milk, 5)
    admin.post(
        ADJUSTMENTS,
        {
            "branch": str(world.a.branch.pk),
            "product": str(beans.pk),
            "quantity_delta": "-1",
            "reason": "broken",
        },
        format="json",
        **keyed(),
    )

    def rows(**query):
        response = admin.get(MOVEMENTS, query)
        assert response.status_code == 200
        return [(row["product"], row["kind"], row["quantity"]) for row in response.json()["results"]]

    assert rows(branch=str(world.a.branch.pk)) == [
        (str(beans.pk), "adjustment", "-1.000"),
        (str(beans.pk), "receipt", "5.000"),
    ]
    assert rows(product=str(milk.pk)) == [(str(milk.pk), "receipt", "5.000")]
    assert rows(kind="adjustment") == [(str(beans.pk), "adjustment", "-1.000")]
    assert admin.get(MOVEMENTS, {"kind": "theft"}).status_code == 400
    [row] = admin.get(MOVEMENTS, {"kind": "adjustment"}).json()["results"]
    assert set(row) == {
        "id",
        "branch",
        "product",
        "kind",
        "quantity",
        "unit_cost",
        "reference",
        "reason",
        "actor",
        "api_key",
        "created_at",
    }
    assert row["reason"] == "broken"
    assert row["api_key"] is None


def test_the_ledger_is_read_only_over_http(world):
    movement = movement_of(world.a, world.a.branch)
    admin = client_for(world.a.tenant_admin)

    responses = [
        admin.post(MOVEMENTS, {}, format="json"),
        admin.patch(f"{MOVEMENTS}{movement.pk}/", {"quantity": "1"}, format="json"),
        admin.delete(f"{MOVEMENTS}{movement.pk}/"),
    ]

    assert [r.status_code for r in responses] == [405, 405, 405]
    assert StockMovement.objects.unscoped().get(pk=movement.pk).quantity == movement.quantity


def test_receipts_and_adjustments_are_post_only(world):
    for client in (client_for(world.a.tenant_admin), client_for(world.a.cashier), client_for(None)):
        for route in (RECEIPTS, ADJUSTMENTS):
            response = client.get(route)
            assert (response.status_code, only_error(response)["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize("route", [RECEIPTS, ADJUSTMENTS])
def test_receipts_and_adjustments_with_a_key_follow_the_branch_rule(world, route):
    """What the RBAC matrix cannot send (a key): the admin anywhere, the manager in its branch."""
    item = product(world.a.tenant)

    def body(branch):
        if route == RECEIPTS:
            return receipt_body(branch, (item, 2, "1.25"))
        return {"branch": str(branch.pk), "product": str(item.pk), "counted_quantity": "3"}

    def post(user, branch):
        return client_for(user).post(route, body(branch), format="json", **keyed())

    assert post(world.a.branch_manager, world.a.branch).status_code == 201
    assert post(world.a.tenant_admin, world.a.other_branch).status_code == 201
    before = StockMovement.objects.unscoped().count()
    refused = [
        post(world.a.branch_manager, world.a.other_branch),
        post(world.a.cashier, world.a.branch),
        post(world.platform_owner, world.a.branch),
    ]
    assert [(r.status_code, only_error(r)["code"]) for r in refused] == [(403, "permission_denied")] * 3
    assert StockMovement.objects.unscoped().count() == before


# --- Transfers ----------------------------------------------------------------------------------


def transfer_body(world, *lines, from_branch=None, to_branch=None):
    return {
        "from_branch": str((from_branch or world.a.branch).pk),
        "to_branch": str((to_branch or world.a.other_branch).pk),
        "reference": "weekend",
        "lines": [{"product": str(item.pk), "quantity": str(quantity)} for item, quantity in lines],
    }


def test_a_transfer_over_http_from_draft_to_received(world):
    manager = client_for(world.a.branch_manager)
    admin = client_for(world.a.tenant_admin)
    beans, milk = product(world.a.tenant, "BEANS"), product(world.a.tenant, "MILK")
    receive(world.a, world.a.branch, beans, 10, "2.00")
    receive(world.a, world.a.branch, milk, 10, "1.00")

    created = manager.post(TRANSFERS, transfer_body(world, (beans, 4)), format="json")
    url = f"{TRANSFERS}{created.json()['id']}/"
    edited = manager.patch(
        url,
        {"lines": [{"product": str(milk.pk), "quantity": "3"}, {"product": str(beans.pk), "quantity": "4"}]},
        format="json",
    )
    sent = manager.post(f"{url}send/")
    edit_after_send = manager.patch(url, {"reference": "late"}, format="json")
    received = admin.post(f"{url}receive/")
    cancel_after_receipt = admin.post(f"{url}cancel/")

    assert created.status_code == 201, created.content
    assert created.json()["status"] == "draft"
    assert created.json()["created_by"] == str(world.a.branch_manager.pk)
    assert edited.status_code == 200, edited.content
    assert [(line["product"], line["quantity"]) for line in edited.json()["lines"]] == [
        (str(beans.pk), "4.000"),
        (str(milk.pk), "3.000"),
    ]
    assert sent.status_code == 200
    assert sent.json()["status"] == "sent"
    assert [line["unit_cost"] for line in sent.json()["lines"]] == ["2.0000", "1.0000"]
    assert (edit_after_send.status_code, only_error(edit_after_send)["code"]) == (409, "conflict")
    assert (received.status_code, received.json()["status"]) == (200, "received")
    assert (cancel_after_receipt.status_code, only_error(cancel_after_receipt)["code"]) == (409, "conflict")
    assert level(world.a.branch, beans).quantity == D(6)
    assert level(world.a.other_branch, beans).quantity == D(4)
    assert level(world.a.other_branch, milk).average_cost == D(1)


def test_a_send_short_of_stock_is_409_pointing_at_the_line(world):
    beans = product(world.a.tenant, "BEANS")
    transfer = draft_transfer(world.a, world.a.branch, world.a.other_branch, "BEANS", 3)

    response = client_for(world.a.tenant_admin).post(f"{TRANSFERS}{transfer.pk}/send/")

    assert response.status_code == 409
    error = only_error(response)
    assert (error["code"], error["source"]["pointer"], error["meta"]["product"]) == (
        "insufficient_stock",
        "/lines/0/quantity",
        str(beans.pk),
    )
    transfer.refresh_from_db()
    assert transfer.status == "draft"


def test_a_transfer_needs_two_different_branches_of_the_tenant(world):
    admin = client_for(world.a.tenant_admin)
    beans = product(world.a.tenant, "BEANS")

    same = admin.post(TRANSFERS, transfer_body(world, (beans, 1), to_branch=world.a.branch), format="json")
    foreign = admin.post(TRANSFERS, transfer_body(world, (beans, 1), to_branch=world.b.branch), format="json")
    no_lines = admin.post(TRANSFERS, transfer_body(world), format="json")

    assert (same.status_code, only_error(same)["source"]["pointer"]) == (400, "/to_branch")
    assert (foreign.status_code, only_error(foreign)["source"]["pointer"]) == (400, "/to_branch")
    assert (no_lines.status_code, only_error(no_lines)["source"]["pointer"]) == (400, "/lines")
    assert not StockTransfer.objects.unscoped().exists()


def test_delete_cancels_a_draft_and_never_a_sent_transfer(world):
    admin = client_for(world.a.tenant_admin)
    draft = draft_transfer(world.a, world.a.branch, world.a.other_branch)
    sent = sent_transfer(world.a, world.a.branch, world.a.other_branch, "SENT")

    deleted = admin.delete(f"{TRANSFERS}{draft.pk}/")
    refused = admin.delete(f"{TRANSFERS}{sent.pk}/")

    assert deleted.status_code == 204
    assert refused.status_code == 409
    draft.refresh_from_db()
    sent.refresh_from_db()
    assert (draft.status, sent.status) == ("cancelled", "sent")


def test_a_manager_sees_transfers_out_of_and_into_its_branch_only(world):
    third = BranchFactory(tenant=world.a.tenant, code="a3")
    outbound = draft_transfer(world.a, world.a.branch, world.a.other_branch, "OUT")
    inbound = draft_transfer(world.a, world.a.other_branch, world.a.branch, "IN")
    unrelated = draft_transfer(world.a, world.a.other_branch, third, "ELSEWHERE")
    manager = client_for(world.a.branch_manager)

    listed = {row["id"] for row in manager.get(TRANSFERS).json()["results"]}
    by_branch = {
        row["id"] for row in manager.get(TRANSFERS, {"to_branch": str(world.a.branch.pk)}).json()["results"]
    }

    assert listed == {str(outbound.pk), str(inbound.pk)}
    assert by_branch == {str(inbound.pk)}
    assert manager.get(f"{TRANSFERS}{unrelated.pk}/").status_code == 404
    assert manager.post(f"{TRANSFERS}{unrelated.pk}/send/").status_code == 404
    assert manager.post(f"{TRANSFERS}{inbound.pk}/send/").status_code == 403
    assert client_for(world.a.tenant_admin).get(TRANSFERS, {"branch": str(third.pk)}).json()["results"][0][
        "id"
    ] == str(unrelated.pk)


@pytest.mark.parametrize("verb", ["send", "receive", "cancel"])
@pytest.mark.parametrize("role", ["tenant_admin", "branch_manager"])
def test_another_tenants_transfer_cannot_be_moved_and_is_not_found(world, verb, role):
    transfer = (
        draft_transfer(world.b, world.b.branch, world.b.other_branch)
        if verb == "send"
        else sent_transfer(world.b, world.b.branch, world.b.other_branch)
    )
    before = StockTransfer.objects.unscoped().values().get(pk=transfer.pk)
    movements_before = StockMovement.objects.unscoped().count()

    response = client_for(world.a.user(role)).post(f"{TRANSFERS}{transfer.pk}/{verb}/")

    assert (response.status_code, only_error(response)["code"]) == (404, "not_found")
    assert StockTransfer.objects.unscoped().values().get(pk=transfer.pk) == before
    assert StockMovement.objects.unscoped().count() == movements_before


# --- Lists hold only the caller's tenant ----------------------------------------------------------


def test_lists_never_hold_another_tenants_stock(world):
    """The isolation matrix's list check for these routes, with stock rows in both tenants
    (tests/matrix_inventory.py explains why the matrix cannot seed them itself)."""
    own = {
        LEVELS: {level_of(world.a, world.a.branch).pk, level_of(world.a, world.a.other_branch).pk},
        MOVEMENTS: {movement_of(world.a, world.a.branch).pk},
        TRANSFERS: {draft_transfer(world.a, world.a.branch, world.a.other_branch).pk},
    }
    foreign = {
        LEVELS: {level_of(world.b, world.b.branch).pk},
        MOVEMENTS: {movement_of(world.b, world.b.branch).pk},
        TRANSFERS: {sent_transfer(world.b, world.b.branch, world.b.other_branch, "B-SENT").pk},
    }
    admin = client_for(world.a.tenant_admin)

    for route in (LEVELS, MOVEMENTS, TRANSFERS):
        ids = {row["id"] for row in admin.get(route, {"page_size": 200}).json()["results"]}
        assert {str(pk) for pk in own[route]} <= ids, route
        assert ids.isdisjoint({str(pk) for pk in foreign[route]}), route


@pytest.mark.parametrize("role", ["tenant_admin", "branch_manager", "cashier"])
def test_filters_cannot_reach_into_another_tenant(world, role):
    level_of(world.b, world.b.branch)
    client = client_for(world.a.user(role))

    for route in (LEVELS, MOVEMENTS):
        response = client.get(route, {"branch": str(world.b.branch.pk)})
        assert (response.status_code, response.json()["results"]) == (200, [])


# --- Query budgets --------------------------------------------------------------------------------


def _queries(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code < 300, response.content
    return len(queries), response


def _grow_stock(world, count, prefix):
    for index in range(count):
        sku = f"{prefix}-{index}"
        receive(world.a, world.a.branch, product(world.a.tenant, sku), 5)
        draft_transfer(world.a, world.a.branch, world.a.other_branch, sku, 1)


@pytest.mark.parametrize(("route", "budget"), [(LEVELS, 2), (MOVEMENTS, 2), (TRANSFERS, 3)])
def test_list_queries_do_not_grow_with_rows(world, route, budget):
    admin = client_for(world.a.tenant_admin)
    _grow_stock(world, 2, "FEW")
    few, few_response = _queries(lambda: admin.get(route, {"page_size": 100}))

    _grow_stock(world, 18, "MANY")
    many, many_response = _queries(lambda: admin.get(route, {"page_size": 100}))

    assert len(few_response.json()["results"]) == 2
    assert len(many_response.json()["results"]) == 20
    assert many == few <= budget


def test_a_receipt_costs_the_same_queries_for_one_line_or_twenty(world):
    admin = client_for(world.a.tenant_admin)
    products = [product(world.a.tenant, f"Q-{index}") for index in range(21)]

    one, _ = _queries(
        lambda: admin.post(
            RECEIPTS, receipt_body(world.a.branch, (products[0], 1, "1")), format="json", **keyed()
        )
    )
    twenty, response = _queries(
        lambda: admin.post(
            RECEIPTS,
            receipt_body(world.a.branch, *[(item, 1, "1") for item in products[1:]]),
            format="json",
            **keyed(),
        )
    )

    assert len(response.json()["movements"]) == 20
    # user (auth) + idempotency (savepoint + insert key) + branch + products + savepoint + insert
    # missing levels + lock levels + update levels + insert movements + release savepoint +
    # idempotency (store the answer + release savepoint): 13, with no query per line (the
    # key's INSERT resets the lock_timeout that bounded its own wait in the same statement).
    assert one == twenty == 13
