"""The stock services: every rule of receipts, adjustments, decrements and transfers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cliqserve.core.errors import Conflict, InvalidInput, NotPermitted
from cliqserve.inventory import selectors, services
from cliqserve.inventory.errors import InsufficientStock
from cliqserve.inventory.models import StockLevel, StockMovement, StockTransfer
from tests.factories import BranchFactory, ProductFactory

from .helpers import D, ledger_sum, level, product, sent_transfer

Kind = StockMovement.Kind
Status = StockTransfer.Status


def receipt(a, branch, *lines, actor=None, reference=""):
    return services.stock_receipt_create(
        tenant=a.tenant,
        actor=actor or a.tenant_admin,
        branch=branch,
        lines=[
            {"product": item, "quantity": D(quantity), "unit_cost": D(cost)} for item, quantity, cost in lines
        ],
        reference=reference,
    )


def adjust(a, branch, item, actor=None, **amount):
    return services.stock_adjustment_create(
        tenant=a.tenant, actor=actor or a.tenant_admin, branch=branch, product=item, **amount
    )


def decrement(a, branch, *lines, **options):
    return services.stock_decrement(
        tenant=a.tenant,
        actor=a.cashier,
        branch=branch,
        lines=[{"product": item, "quantity": D(quantity)} for item, quantity in lines],
        kind=options.pop("kind", Kind.SALE),
        **options,
    )


def assert_level_equals_ledger(branch, item):
    assert level(branch, item).quantity == ledger_sum(branch, item)


# --- Receipts -----------------------------------------------------------------------------------


def test_a_receipt_raises_stock_with_one_movement_per_line(in_tenant_a):
    a = in_tenant_a
    beans, milk = product(a.tenant, "BEANS"), product(a.tenant, "MILK")

    movements = receipt(a, a.branch, (beans, 10, "2.50"), (milk, "1.5", "0.80"), reference="INV-77")

    assert [(m.product, m.kind, m.quantity, m.unit_cost) for m in movements] == [
        (beans, Kind.RECEIPT, D("10.000"), D("2.5000")),
        (milk, Kind.RECEIPT, D("1.500"), D("0.8000")),
    ]
    assert {m.reference for m in movements} == {"INV-77"}
    assert {m.actor for m in movements} == {a.tenant_admin}
    assert (level(a.branch, beans).quantity, level(a.branch, beans).average_cost) == (D("10"), D("2.5"))
    assert StockMovement.objects.count() == 2
    assert_level_equals_ledger(a.branch, beans)
    assert_level_equals_ledger(a.branch, milk)


def test_receipts_at_two_costs_give_the_moving_average(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")

    receipt(a, a.branch, (beans, 10, "2.00"))
    receipt(a, a.branch, (beans, 30, "4.00"))

    assert level(a.branch, beans).average_cost == D("3.5000")  # (10*2 + 30*4) / 40


def test_the_moving_average_is_rounded_half_up_to_four_places(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")

    receipt(a, a.branch, (beans, 1, "1.00"))
    receipt(a, a.branch, (beans, 2, "2.00"))

    assert level(a.branch, beans).average_cost == D("1.6667")  # 5 / 3


def test_a_receipt_into_negative_stock_takes_the_receipt_cost(in_tenant_a):
    a = in_tenant_a
    a.tenant.allow_negative_stock = True
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 2, "2.00"))
    decrement(a, a.branch, (beans, 5))

    receipt(a, a.branch, (beans, 4, "3.00"))

    stock = level(a.branch, beans)
    assert (stock.quantity, stock.average_cost) == (D("1"), D("3.0000"))
    assert_level_equals_ledger(a.branch, beans)


def test_a_receipt_refuses_the_same_product_on_two_lines_and_writes_nothing(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")

    with pytest.raises(InvalidInput) as refused:
        receipt(a, a.branch, (beans, 1, "1.00"), (beans, 2, "3.00"))

    assert refused.value.pointer == "/lines/1/product"
    assert not StockLevel.objects.exists()
    assert not StockMovement.objects.exists()


def test_a_product_that_does_not_track_stock_is_refused_on_its_line(in_tenant_a):
    a = in_tenant_a
    beans, gift_wrap = product(a.tenant, "BEANS"), product(a.tenant, "WRAP", track_stock=False)

    with pytest.raises(InvalidInput) as refused:
        receipt(a, a.branch, (beans, 1, "1.00"), (gift_wrap, 1, "0.10"))

    assert refused.value.pointer == "/lines/1/product"
    assert not StockLevel.objects.exists()
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize(
    ("quantity", "cost", "pointer"),
    [(0, "1.00", "/lines/0/quantity"), (-1, "1.00", "/lines/0/quantity"), (1, "-0.01", "/lines/0/unit_cost")],
)
def test_a_receipt_needs_a_positive_quantity_and_a_cost_not_below_zero(in_tenant_a, quantity, cost, pointer):
    a = in_tenant_a

    with pytest.raises(InvalidInput) as refused:
        receipt(a, a.branch, (product(a.tenant), quantity, cost))

    assert refused.value.pointer == pointer
    assert not StockMovement.objects.exists()


def test_a_manager_receives_into_its_own_branch_only(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 1, "1.00"), actor=a.branch_manager)

    with pytest.raises(NotPermitted):
        receipt(a, a.other_branch, (beans, 1, "1.00"), actor=a.branch_manager)

    assert not StockLevel.objects.filter(branch=a.other_branch).exists()


def test_another_tenants_product_or_branch_is_refused_even_past_the_api(in_tenant_a, world):
    a = in_tenant_a
    foreign = ProductFactory(tenant=world.b.tenant, sku="FOREIGN")

    with pytest.raises(InvalidInput) as product_refused:
        receipt(a, a.branch, (foreign, 1, "1.00"))
    with pytest.raises(InvalidInput) as branch_refused:
        receipt(a, world.b.branch, (product(a.tenant), 1, "1.00"))

    assert product_refused.value.pointer == "/lines/0/product"
    assert branch_refused.value.pointer == "/branch"
    assert not StockMovement.objects.unscoped().exists()


def test_a_level_that_would_outgrow_its_column_is_refused(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, "99999999999", "1.00"))

    with pytest.raises(InvalidInput) as refused:
        receipt(a, a.branch, (beans, 1, "1.00"))

    assert refused.value.pointer == "/lines/0/quantity"
    assert level(a.branch, beans).quantity == D("99999999999")


# --- Adjustments and counts ---------------------------------------------------------------------


def test_a_positive_adjustment_is_valued_at_the_average_and_leaves_it_alone(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 4, "2.50"))

    movement = adjust(a, a.branch, beans, quantity_delta=D(3), reason="found a box")

    assert (movement.kind, movement.quantity, movement.unit_cost, movement.reason) == (
        Kind.ADJUSTMENT,
        D(3),
        D("2.5"),
        "found a box",
    )
    stock = level(a.branch, beans)
    assert (stock.quantity, stock.average_cost) == (D(7), D("2.5"))
    assert_level_equals_ledger(a.branch, beans)


def test_a_decrement_below_zero_is_insufficient_stock_naming_the_product(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS", name="Espresso beans")
    receipt(a, a.branch, (beans, 2, "1.00"))

    with pytest.raises(InsufficientStock) as refused:
        adjust(a, a.branch, beans, quantity_delta=D(-3))

    error = refused.value
    assert (error.status_code, error.code, error.pointer) == (409, "insufficient_stock", "/quantity_delta")
    assert error.meta["product"] == str(beans.pk)
    assert error.meta["branch"] == str(a.branch.pk)
    assert (error.meta["available"], error.meta["requested"]) == ("2.000", "3.000")
    assert "Espresso beans" in error.detail
    assert "BEANS" in error.detail
    assert level(a.branch, beans).quantity == D(2)
    assert StockMovement.objects.count() == 1


def test_a_tenant_that_allows_negative_stock_may_go_below_zero(in_tenant_a):
    a = in_tenant_a
    a.tenant.allow_negative_stock = True
    beans = product(a.tenant, "BEANS")

    adjust(a, a.branch, beans, quantity_delta=D(-3))

    assert level(a.branch, beans).quantity == D(-3)
    assert_level_equals_ledger(a.branch, beans)


def test_a_count_records_the_difference_found_under_the_lock(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 10, "1.00"))

    short = adjust(a, a.branch, beans, counted_quantity=D(7), reason="shelf count")
    over = adjust(a, a.branch, beans, counted_quantity=D("7.5"))

    assert (short.kind, short.quantity, short.reason) == (Kind.COUNT, D(-3), "shelf count")
    assert (over.kind, over.quantity) == (Kind.COUNT, D("0.5"))
    assert level(a.branch, beans).quantity == D("7.5")
    assert_level_equals_ledger(a.branch, beans)


def test_a_count_that_matches_is_recorded_as_a_zero_movement(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 4, "1.00"))

    movement = adjust(a, a.branch, beans, counted_quantity=D(4))

    assert (movement.kind, movement.quantity) == (Kind.COUNT, D(0))
    assert level(a.branch, beans).quantity == D(4)


@pytest.mark.parametrize(
    ("amount", "pointer"),
    [
        ({}, None),
        ({"quantity_delta": D(1), "counted_quantity": D(1)}, None),
        ({"quantity_delta": D(0)}, "/quantity_delta"),
        ({"counted_quantity": D(-1)}, "/counted_quantity"),
    ],
)
def test_an_adjustment_is_exactly_one_of_a_nonzero_delta_or_a_count(in_tenant_a, amount, pointer):
    a = in_tenant_a

    with pytest.raises(InvalidInput) as refused:
        adjust(a, a.branch, product(a.tenant), **amount)

    assert refused.value.pointer == pointer
    assert not StockMovement.objects.exists()


def test_a_manager_adjusts_its_own_branch_only(in_tenant_a):
    a = in_tenant_a

    adjust(a, a.branch, product(a.tenant), actor=a.branch_manager, counted_quantity=D(3))
    with pytest.raises(NotPermitted):
        adjust(a, a.other_branch, product(a.tenant), actor=a.branch_manager, counted_quantity=D(3))

    assert StockMovement.objects.filter(branch=a.other_branch).count() == 0


# --- The decrement other apps call --------------------------------------------------------------


def test_a_decrement_returns_the_average_cost_of_each_line(in_tenant_a):
    a = in_tenant_a
    beans, milk = product(a.tenant, "BEANS"), product(a.tenant, "MILK")
    receipt(a, a.branch, (beans, 10, "2.00"), (milk, 10, "0.50"))
    receipt(a, a.branch, (beans, 10, "3.00"))

    costs = decrement(a, a.branch, (beans, 4), (milk, 1), reference="sale:1")

    assert costs == [D("2.5000"), D("0.5000")]
    sales = StockMovement.objects.filter(kind=Kind.SALE).order_by("product__sku")
    assert [(m.product, m.quantity, m.reference, m.actor) for m in sales] == [
        (beans, D(-4), "sale:1", a.cashier),
        (milk, D(-1), "sale:1", a.cashier),
    ]
    assert level(a.branch, beans).average_cost == D("2.5")  # outflows leave the average alone
    assert_level_equals_ledger(a.branch, beans)


def test_lines_of_one_product_each_see_the_stock_the_previous_ones_left(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 5, "1.00"))

    with pytest.raises(InsufficientStock) as refused:
        decrement(a, a.branch, (beans, 3), (beans, 3))

    assert refused.value.pointer == "/lines/1/quantity"
    assert refused.value.meta["available"] == "2.000"
    decrement(a, a.branch, (beans, 3), (beans, 2))
    assert level(a.branch, beans).quantity == D(0)


def test_insufficient_stock_names_every_short_line(in_tenant_a):
    a = in_tenant_a
    beans, milk, cups = product(a.tenant, "BEANS"), product(a.tenant, "MILK"), product(a.tenant, "CUPS")
    receipt(a, a.branch, (beans, 1, "1.00"), (milk, 5, "1.00"), (cups, 1, "1.00"))

    with pytest.raises(InsufficientStock) as refused:
        decrement(a, a.branch, (beans, 2), (milk, 1), (cups, 4))

    error = refused.value
    assert error.pointer == "/lines/0/quantity"
    assert [(s["product"], s["pointer"], s["requested"]) for s in error.meta["shortages"]] == [
        (str(beans.pk), "/lines/0/quantity", "2.000"),
        (str(cups.pk), "/lines/2/quantity", "4.000"),
    ]
    assert "BEANS" in error.detail
    assert "CUPS" in error.detail
    assert "MILK" not in error.detail
    assert level(a.branch, milk).quantity == D(5)
    assert not StockMovement.objects.filter(kind=Kind.SALE).exists()


def test_the_caller_may_allow_negative_stock_for_one_decrement(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")

    decrement(a, a.branch, (beans, 2), allow_negative=True)
    with pytest.raises(InsufficientStock):
        decrement(a, a.branch, (beans, 1))

    assert level(a.branch, beans).quantity == D(-2)


def test_a_decrement_refuses_untracked_products_and_inbound_kinds(in_tenant_a):
    a = in_tenant_a
    service = product(a.tenant, "SERVICE", track_stock=False)

    with pytest.raises(InvalidInput) as refused:
        decrement(a, a.branch, (product(a.tenant, "BEANS"), 1), (service, 1), allow_negative=True)
    with pytest.raises(ValueError, match="receipt"):
        decrement(a, a.branch, (product(a.tenant, "BEANS"), 1), kind=Kind.RECEIPT)

    assert refused.value.pointer == "/lines/1/product"
    assert not StockMovement.objects.exists()


# --- Transfers ----------------------------------------------------------------------------------


def transfer_to_other_branch(a, *lines, actor=None):
    return services.stock_transfer_create(
        tenant=a.tenant,
        actor=actor or a.tenant_admin,
        from_branch=a.branch,
        to_branch=a.other_branch,
        lines=[{"product": item, "quantity": D(quantity)} for item, quantity in lines],
        reference="restock",
    )


def test_a_draft_moves_no_stock(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 5, "1.00"))

    transfer = transfer_to_other_branch(a, (beans, 2))

    assert transfer.status == Status.DRAFT
    assert transfer.created_by == a.tenant_admin
    assert [(line.product, line.quantity) for line in transfer.lines.all()] == [(beans, D(2))]
    assert level(a.branch, beans).quantity == D(5)
    assert StockMovement.objects.count() == 1


def test_send_then_receive_moves_stock_at_the_cost_it_left_with(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 10, "3.00"))
    receipt(a, a.other_branch, (beans, 10, "5.00"))
    transfer = transfer_to_other_branch(a, (beans, 10))

    sent = services.stock_transfer_send(tenant=a.tenant, actor=a.tenant_admin, transfer=transfer)

    assert sent.status == Status.SENT
    assert sent.sent_at is not None
    assert transfer.lines.get().unit_cost == D("3.0000")
    assert level(a.branch, beans).quantity == D(0)
    assert level(a.other_branch, beans).quantity == D(10)
    out = StockMovement.objects.get(kind=Kind.TRANSFER_OUT)
    assert (out.branch, out.quantity, out.unit_cost, out.reference) == (
        a.branch,
        D(-10),
        D(3),
        f"transfer:{transfer.pk}",
    )

    received = services.stock_transfer_receive(tenant=a.tenant, actor=a.tenant_admin, transfer=transfer)

    assert received.status == Status.RECEIVED
    assert received.received_at is not None
    arrived = level(a.other_branch, beans)
    assert (arrived.quantity, arrived.average_cost) == (D(20), D("4.0000"))  # (10*5 + 10*3) / 20
    movement_in = StockMovement.objects.get(kind=Kind.TRANSFER_IN)
    assert (movement_in.branch, movement_in.quantity, movement_in.unit_cost) == (a.other_branch, D(10), D(3))
    for branch in (a.branch, a.other_branch):
        assert_level_equals_ledger(branch, beans)


def test_a_send_short_of_stock_moves_nothing_and_stays_draft(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 1, "1.00"))
    transfer = transfer_to_other_branch(a, (beans, 2))

    with pytest.raises(InsufficientStock) as refused:
        services.stock_transfer_send(tenant=a.tenant, actor=a.tenant_admin, transfer=transfer)

    assert refused.value.pointer == "/lines/0/quantity"
    transfer.refresh_from_db()
    assert transfer.status == Status.DRAFT
    assert level(a.branch, beans).quantity == D(1)
    assert not StockMovement.objects.filter(kind=Kind.TRANSFER_OUT).exists()


def test_cancelling_a_sent_transfer_returns_its_stock_at_the_cost_it_left_with(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 4, "2.00"))
    transfer = transfer_to_other_branch(a, (beans, 3))
    services.stock_transfer_send(tenant=a.tenant, actor=a.branch_manager, transfer=transfer)

    cancelled = services.stock_transfer_cancel(tenant=a.tenant, actor=a.branch_manager, transfer=transfer)

    assert cancelled.status == Status.CANCELLED
    back = level(a.branch, beans)
    assert (back.quantity, back.average_cost) == (D(4), D(2))
    assert StockMovement.objects.filter(kind=Kind.TRANSFER_IN, branch=a.branch).get().unit_cost == D(2)
    assert not StockLevel.objects.filter(branch=a.other_branch).exists()
    assert_level_equals_ledger(a.branch, beans)


def test_cancelling_a_draft_moves_nothing(in_tenant_a):
    a = in_tenant_a
    transfer = transfer_to_other_branch(a, (product(a.tenant), 1))

    cancelled = services.stock_transfer_cancel(tenant=a.tenant, actor=a.tenant_admin, transfer=transfer)

    assert cancelled.status == Status.CANCELLED
    assert not StockMovement.objects.exists()


def _to_status(a, status):
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 5, "1.00"))
    transfer = transfer_to_other_branch(a, (beans, 1))
    paths: dict[str, list[Callable[..., StockTransfer]]] = {
        Status.DRAFT: [],
        Status.SENT: [services.stock_transfer_send],
        Status.RECEIVED: [services.stock_transfer_send, services.stock_transfer_receive],
        Status.CANCELLED: [services.stock_transfer_cancel],
    }
    for step in paths[status]:
        transfer = step(tenant=a.tenant, actor=a.tenant_admin, transfer=transfer)
    return transfer


ILLEGAL = [
    (Status.DRAFT, "receive"),
    (Status.SENT, "send"),
    (Status.SENT, "update"),
    (Status.SENT, "discard"),
    (Status.RECEIVED, "send"),
    (Status.RECEIVED, "receive"),
    (Status.RECEIVED, "cancel"),
    (Status.RECEIVED, "update"),
    (Status.CANCELLED, "send"),
    (Status.CANCELLED, "receive"),
    (Status.CANCELLED, "cancel"),
    (Status.CANCELLED, "update"),
]


@pytest.mark.parametrize(("status", "verb"), ILLEGAL)
def test_an_illegal_transition_is_a_conflict_that_changes_nothing(in_tenant_a, status, verb):
    a = in_tenant_a
    transfer = _to_status(a, status)
    movements_before = StockMovement.objects.count()
    calls: dict[str, Callable[..., StockTransfer]] = {
        "send": services.stock_transfer_send,
        "receive": services.stock_transfer_receive,
        "cancel": services.stock_transfer_cancel,
        "discard": lambda **kw: services.stock_transfer_cancel(drafts_only=True, **kw),
        "update": lambda **kw: services.stock_transfer_update(reference="edited", **kw),
    }
    call = calls[verb]

    with pytest.raises(Conflict) as refused:
        call(tenant=a.tenant, actor=a.tenant_admin, transfer=transfer)

    assert (refused.value.status_code, refused.value.code) == (409, "conflict")
    assert refused.value.meta == {"status": status}
    transfer.refresh_from_db()
    assert (transfer.status, transfer.reference) == (status, "restock")
    assert StockMovement.objects.count() == movements_before


def test_a_transfer_goes_between_two_branches_of_the_tenant(in_tenant_a, world):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")

    with pytest.raises(InvalidInput) as same:
        services.stock_transfer_create(
            tenant=a.tenant,
            actor=a.tenant_admin,
            from_branch=a.branch,
            to_branch=a.branch,
            lines=[{"product": beans, "quantity": D(1)}],
        )
    with pytest.raises(InvalidInput) as foreign:
        services.stock_transfer_create(
            tenant=a.tenant,
            actor=a.tenant_admin,
            from_branch=a.branch,
            to_branch=world.b.branch,
            lines=[{"product": beans, "quantity": D(1)}],
        )

    assert same.value.pointer == "/to_branch"
    assert foreign.value.pointer == "/to_branch"
    assert not StockTransfer.objects.unscoped().exists()


@pytest.mark.parametrize(
    ("lines", "pointer"),
    [
        ([], "/lines"),
        ([("BEANS", 0)], "/lines/0/quantity"),
        ([("BEANS", 1), ("BEANS", 2)], "/lines/1/product"),
        ([("BEANS", 1), ("WRAP", 1)], "/lines/1/product"),
        ([("BEANS", "100000000000")], "/lines/0/quantity"),
    ],
)
def test_transfer_lines_are_positive_distinct_and_stock_tracked(in_tenant_a, lines, pointer):
    a = in_tenant_a
    product(a.tenant, "BEANS")
    product(a.tenant, "WRAP", track_stock=False)

    with pytest.raises(InvalidInput) as refused:
        transfer_to_other_branch(a, *[(product(a.tenant, sku), quantity) for sku, quantity in lines])

    assert refused.value.pointer == pointer
    assert not StockTransfer.objects.exists()


def test_a_draft_is_edited_and_its_lines_replaced(in_tenant_a):
    a = in_tenant_a
    beans, milk = product(a.tenant, "BEANS"), product(a.tenant, "MILK")
    third = BranchFactory(tenant=a.tenant, code="a3")
    transfer = transfer_to_other_branch(a, (beans, 1))

    services.stock_transfer_update(
        tenant=a.tenant,
        actor=a.tenant_admin,
        transfer=transfer,
        to_branch=third,
        reference="weekend",
        lines=[{"product": milk, "quantity": D(4)}],
    )

    transfer.refresh_from_db()
    assert (transfer.to_branch, transfer.reference) == (third, "weekend")
    assert [(line.product, line.quantity) for line in transfer.lines.all()] == [(milk, D(4))]


def test_a_transfer_refuses_another_tenants_product_and_unknown_fields(in_tenant_a, world):
    a = in_tenant_a
    transfer = transfer_to_other_branch(a, (product(a.tenant), 1))
    theirs = ProductFactory(tenant=world.b.tenant, sku="THEIRS")

    with pytest.raises(InvalidInput) as foreign:
        transfer_to_other_branch(a, (theirs, 1))
    with pytest.raises(InvalidInput, match="status"):
        services.stock_transfer_update(
            tenant=a.tenant, actor=a.tenant_admin, transfer=transfer, status="sent"
        )

    assert foreign.value.pointer == "/lines/0/product"
    transfer.refresh_from_db()
    assert transfer.status == Status.DRAFT


def test_cashiers_list_no_transfers_even_past_the_route_policy(in_tenant_a):
    a = in_tenant_a
    transfer_to_other_branch(a, (product(a.tenant), 1))

    assert selectors.stock_transfer_list(tenant=a.tenant, actor=a.tenant_admin).count() == 1
    assert not selectors.stock_transfer_list(tenant=a.tenant, actor=a.cashier).exists()


def test_a_manager_works_transfers_out_of_its_branch_and_receives_into_it(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.other_branch, (beans, 5, "1.00"))
    inbound = services.stock_transfer_create(
        tenant=a.tenant,
        actor=a.tenant_admin,
        from_branch=a.other_branch,
        to_branch=a.branch,
        lines=[{"product": beans, "quantity": D(2)}],
    )
    manager = a.branch_manager

    with pytest.raises(NotPermitted):
        services.stock_transfer_create(
            tenant=a.tenant,
            actor=manager,
            from_branch=a.other_branch,
            to_branch=a.branch,
            lines=[{"product": beans, "quantity": D(1)}],
        )
    for service in (services.stock_transfer_send, services.stock_transfer_cancel):
        with pytest.raises(NotPermitted):
            service(tenant=a.tenant, actor=manager, transfer=inbound)
    with pytest.raises(NotPermitted):
        services.stock_transfer_update(tenant=a.tenant, actor=manager, transfer=inbound, reference="x")
    services.stock_transfer_send(tenant=a.tenant, actor=a.tenant_admin, transfer=inbound)
    services.stock_transfer_receive(tenant=a.tenant, actor=manager, transfer=inbound)

    assert level(a.branch, beans).quantity == D(2)


def test_a_manager_cannot_redirect_its_transfer_to_leave_from_another_branch(in_tenant_a):
    a = in_tenant_a
    third = BranchFactory(tenant=a.tenant, code="a3")
    transfer = transfer_to_other_branch(a, (product(a.tenant), 1), actor=a.branch_manager)

    with pytest.raises(NotPermitted):
        services.stock_transfer_update(
            tenant=a.tenant, actor=a.branch_manager, transfer=transfer, from_branch=third
        )

    transfer.refresh_from_db()
    assert transfer.from_branch == a.branch


def test_a_manager_receives_only_what_comes_into_its_branch(in_tenant_a, world):
    a = in_tenant_a
    transfer = sent_transfer(a, a.branch, a.other_branch)

    with pytest.raises(NotPermitted):
        services.stock_transfer_receive(tenant=a.tenant, actor=a.branch_manager, transfer=transfer)

    transfer.refresh_from_db()
    assert transfer.status == Status.SENT


# --- Reorder levels -----------------------------------------------------------------------------


def test_the_reorder_level_is_set_by_the_branch_manager_and_never_negative(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 1, "1.00"))
    receipt(a, a.other_branch, (beans, 1, "1.00"))

    updated = services.stock_level_update(
        tenant=a.tenant, actor=a.branch_manager, level=level(a.branch, beans), reorder_level=D(4)
    )
    with pytest.raises(InvalidInput) as negative:
        services.stock_level_update(
            tenant=a.tenant, actor=a.tenant_admin, level=level(a.branch, beans), reorder_level=D(-1)
        )
    with pytest.raises(NotPermitted):
        services.stock_level_update(
            tenant=a.tenant, actor=a.branch_manager, level=level(a.other_branch, beans), reorder_level=D(4)
        )

    assert updated.reorder_level == D(4)
    assert negative.value.pointer == "/reorder_level"
    assert level(a.branch, beans).reorder_level == D(4)
    assert level(a.other_branch, beans).reorder_level == D(0)


def test_setting_the_reorder_level_never_writes_back_a_stale_quantity(in_tenant_a):
    a = in_tenant_a
    beans = product(a.tenant, "BEANS")
    receipt(a, a.branch, (beans, 1, "1.00"))
    stale = level(a.branch, beans)
    receipt(a, a.branch, (beans, 5, "1.00"))

    services.stock_level_update(tenant=a.tenant, actor=a.tenant_admin, level=stale, reorder_level=D(2))

    assert level(a.branch, beans).quantity == D(6)
    assert_level_equals_ledger(a.branch, beans)
