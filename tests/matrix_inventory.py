"""Isolation and RBAC declarations for stock levels, movements, receipts, adjustments and transfers.

Stock rows are not part of the shared World: the lambdas below create them on first use, in the
tenant they belong to (cliqserve/inventory/tests/helpers.py). Branch scope in short: the tenant
admin reaches every branch; the branch manager works the stock of its branch (`w.a.branch`),
the transfers out of it and the receipt of transfers into it; the cashier reads the levels and
movements of its branch; the platform owner has no tenant and no stock.
"""

from __future__ import annotations

from typing import Any

from cliqserve.inventory.models import StockLevel, StockMovement, StockTransfer
from cliqserve.inventory.tests.helpers import draft_transfer, level_of, movement_of, product, sent_transfer
from cliqserve.tenants.models import Branch
from conftest import World
from tests.factories import BranchFactory
from tests.matrix import Case, ListRoute, ObjectRoute, statuses


def _third_branch(w: World) -> Branch:
    """A branch of tenant A that neither the manager nor the cashier works in."""
    existing: Branch | None = Branch.objects.unscoped().filter(tenant=w.a.tenant, code="a3").first()
    return existing or BranchFactory(tenant=w.a.tenant, code="a3")


def _transfer_body(w: World, from_branch: Any, to_branch: Any) -> dict[str, Any]:
    return {
        "from_branch": str(from_branch.pk),
        "to_branch": str(to_branch.pk),
        "reference": "restock",
        "lines": [{"product": str(product(w.a.tenant).pk), "quantity": "1"}],
    }


def _receipt_body(w: World, branch: Any) -> dict[str, Any]:
    return {
        "branch": str(branch.pk),
        "reference": "PO-9",
        "lines": [{"product": str(product(w.a.tenant).pk), "quantity": "2", "unit_cost": "1.25"}],
    }


def _count_body(w: World, branch: Any) -> dict[str, Any]:
    return {"branch": str(branch.pk), "product": str(product(w.a.tenant).pk), "counted_quantity": "3"}


def _stocked_draft(w: World, from_branch: Any, to_branch: Any) -> StockTransfer:
    level_of(w.a, from_branch)
    return draft_transfer(w.a, from_branch, to_branch)


OBJECT_ROUTES: dict[str, ObjectRoute] = {
    "stock-level-detail": ObjectRoute(
        StockLevel,
        lambda w: level_of(w.b, w.b.branch),
        lambda w: {"reorder_level": "9"},
        methods=("get", "put", "patch"),
    ),
    "stock-movement-detail": ObjectRoute(
        StockMovement, lambda w: movement_of(w.b, w.b.branch), lambda w: {"quantity": "1"}, methods=("get",)
    ),
    "stock-transfer-detail": ObjectRoute(
        StockTransfer,
        lambda w: draft_transfer(w.b, w.b.branch, w.b.other_branch),
        lambda w: _transfer_body(w, w.a.branch, w.a.other_branch),
    ),
    # Each transition would be legal for B's transfer in the state given, were it A's.
    "stock-transfer-send": ObjectRoute(
        StockTransfer,
        lambda w: draft_transfer(w.b, w.b.branch, w.b.other_branch),
        lambda w: {},
        methods=("post",),
    ),
    "stock-transfer-receive": ObjectRoute(
        StockTransfer,
        lambda w: sent_transfer(w.b, w.b.branch, w.b.other_branch),
        lambda w: {},
        methods=("post",),
    ),
    "stock-transfer-cancel": ObjectRoute(
        StockTransfer,
        lambda w: sent_transfer(w.b, w.b.branch, w.b.other_branch),
        lambda w: {},
        methods=("post",),
    ),
}

LIST_ROUTES: dict[str, ListRoute] = {
    "stock-level-list": ListRoute(
        lambda w: {level_of(w.a, w.a.branch).pk, level_of(w.a, w.a.other_branch).pk},
        lambda w: {level_of(w.b, w.b.branch).pk, level_of(w.b, w.b.other_branch).pk},
    ),
    "stock-movement-list": ListRoute(
        lambda w: {movement_of(w.a, w.a.branch).pk, movement_of(w.a, w.a.other_branch).pk},
        lambda w: {movement_of(w.b, w.b.branch).pk},
    ),
    "stock-transfer-list": ListRoute(
        lambda w: {draft_transfer(w.a, w.a.branch, w.a.other_branch).pk},
        lambda w: {draft_transfer(w.b, w.b.branch, w.b.other_branch).pk},
    ),
}

# Routes that take no tenant object id and list no tenant rows, with why they are safe.
NO_TENANT_ROWS: dict[str, str] = {
    "stock-receipt-list": "POST only, answers what it wrote; the branch and product ids in the body "
    "resolve in the caller's tenant or are 400 (inventory test_api "
    "test_a_receipt_cannot_reach_another_tenants_branch_or_product)",
    "stock-adjustment-list": "POST only, answers what it wrote; the branch and product ids in the body "
    "resolve in the caller's tenant or are 400, like receipts",
}

CASES: list[Case] = [
    # stock levels: everyone in the tenant reads (branch staff their own branch); the admin and
    # the branch's manager set the reorder level; quantity and cost are never written directly
    Case("stock-level-list", "get", statuses(401, 200, 200, 200, 403)),
    Case("stock-level-detail", "get", statuses(401, 200, 200, 200, 403), lambda w: level_of(w.a, w.a.branch)),
    Case(
        "stock-level-detail",
        "get",
        statuses(401, 404, 404, 200, 403),
        lambda w: level_of(w.a, w.a.other_branch),
    ),
    Case(
        "stock-level-detail",
        "patch",
        statuses(401, 403, 200, 200, 403),
        lambda w: level_of(w.a, w.a.branch),
        lambda w: {"reorder_level": "4"},
        StockLevel,
    ),
    Case(
        "stock-level-detail",
        "put",
        statuses(401, 403, 200, 200, 403),
        lambda w: level_of(w.a, w.a.branch),
        lambda w: {"reorder_level": "4"},
        StockLevel,
    ),
    Case(
        "stock-level-detail",
        "patch",
        statuses(401, 404, 404, 200, 403),
        lambda w: level_of(w.a, w.a.other_branch),
        lambda w: {"reorder_level": "4"},
        StockLevel,
    ),
    Case(
        "stock-level-detail",
        "delete",
        statuses(405, 405, 405, 405, 405),
        lambda w: level_of(w.a, w.a.branch),
        model=StockLevel,
    ),
    # the ledger: read-only, branch staff their own branch
    Case("stock-movement-list", "get", statuses(401, 200, 200, 200, 403)),
    Case(
        "stock-movement-detail",
        "get",
        statuses(401, 200, 200, 200, 403),
        lambda w: movement_of(w.a, w.a.branch),
    ),
    Case(
        "stock-movement-detail",
        "get",
        statuses(401, 404, 404, 200, 403),
        lambda w: movement_of(w.a, w.a.other_branch),
    ),
    Case(
        "stock-movement-detail",
        "patch",
        statuses(405, 405, 405, 405, 405),
        lambda w: movement_of(w.a, w.a.branch),
        lambda w: {"quantity": "100"},
        StockMovement,
    ),
    # receipts and adjustments: the admin anywhere, the manager in its own branch. With an
    # Idempotency-Key; without one, the roles let in get 400 idempotency_key_required (nothing
    # written) and the others 401/403 first, since the key is checked after the role policy.
    *(
        Case(route, "post", expected, body=body, model=StockMovement, headers={"Idempotency-Key": "rbac-1"})
        for route, body, expected in (
            ("stock-receipt-list", lambda w: _receipt_body(w, w.a.branch), statuses(401, 403, 201, 201, 403)),
            (
                "stock-receipt-list",
                lambda w: _receipt_body(w, w.a.other_branch),
                statuses(401, 403, 403, 201, 403),
            ),
            (
                "stock-adjustment-list",
                lambda w: _count_body(w, w.a.branch),
                statuses(401, 403, 201, 201, 403),
            ),
            (
                "stock-adjustment-list",
                lambda w: _count_body(w, w.a.other_branch),
                statuses(401, 403, 403, 201, 403),
            ),
        )
    ),
    *(
        Case(route, "post", statuses(401, 403, 400, 400, 403), body=body, model=StockMovement)
        for route, body in (
            ("stock-receipt-list", lambda w: _receipt_body(w, w.a.branch)),
            ("stock-adjustment-list", lambda w: _count_body(w, w.a.branch)),
        )
    ),
    Case("stock-receipt-list", "get", statuses(405, 405, 405, 405, 405)),
    # transfers: the admin all; the manager those out of its branch (create, edit, send,
    # cancel), and receives those into it; cashiers have none
    Case("stock-transfer-list", "get", statuses(401, 403, 200, 200, 403)),
    Case(
        "stock-transfer-list",
        "post",
        statuses(401, 403, 201, 201, 403),
        body=lambda w: _transfer_body(w, w.a.branch, w.a.other_branch),
        model=StockTransfer,
    ),
    Case(
        "stock-transfer-list",
        "post",
        statuses(401, 403, 403, 201, 403),
        body=lambda w: _transfer_body(w, w.a.other_branch, w.a.branch),
        model=StockTransfer,
    ),
    Case(
        "stock-transfer-detail",
        "get",
        statuses(401, 403, 200, 200, 403),
        lambda w: draft_transfer(w.a, w.a.branch, w.a.other_branch),
    ),
    Case(
        "stock-transfer-detail",
        "get",
        statuses(401, 403, 200, 200, 403),
        lambda w: draft_transfer(w.a, w.a.other_branch, w.a.branch),
    ),
    Case(
        "stock-transfer-detail",
        "get",
        statuses(401, 403, 404, 200, 403),
        lambda w: draft_transfer(w.a, w.a.other_branch, _third_branch(w)),
    ),
    Case(
        "stock-transfer-detail",
        "patch",
        statuses(401, 403, 200, 200, 403),
        lambda w: draft_transfer(w.a, w.a.branch, w.a.other_branch),
        lambda w: {"reference": "edited"},
        StockTransfer,
    ),
    Case(
        "stock-transfer-detail",
        "patch",
        statuses(401, 403, 403, 200, 403),
        lambda w: draft_transfer(w.a, w.a.other_branch, w.a.branch),
        lambda w: {"reference": "edited"},
        StockTransfer,
    ),
    Case(
        "stock-transfer-detail",
        "put",
        statuses(401, 403, 200, 200, 403),
        lambda w: draft_transfer(w.a, w.a.branch, w.a.other_branch),
        lambda w: _transfer_body(w, w.a.branch, w.a.other_branch),
        StockTransfer,
    ),
    Case(
        "stock-transfer-detail",
        "delete",
        statuses(401, 403, 204, 204, 403),
        lambda w: draft_transfer(w.a, w.a.branch, w.a.other_branch),
        model=StockTransfer,
    ),
    Case(
        "stock-transfer-detail",
        "delete",
        statuses(401, 403, 403, 204, 403),
        lambda w: draft_transfer(w.a, w.a.other_branch, w.a.branch),
        model=StockTransfer,
    ),
    Case(
        "stock-transfer-send",
        "post",
        statuses(401, 403, 200, 200, 403),
        lambda w: _stocked_draft(w, w.a.branch, w.a.other_branch),
        model=StockTransfer,
    ),
    Case(
        "stock-transfer-send",
        "post",
        statuses(401, 403, 403, 200, 403),
        lambda w: _stocked_draft(w, w.a.other_branch, w.a.branch),
        model=StockTransfer,
    ),
    Case(
        "stock-transfer-send",
        "get",
        statuses(405, 405, 405, 405, 405),
        lambda w: draft_transfer(w.a, w.a.branch, w.a.other_branch),
    ),
    Case(
        "stock-transfer-receive",
        "post",
        statuses(401, 403, 200, 200, 403),
        lambda w: sent_transfer(w.a, w.a.other_branch, w.a.branch),
        model=StockTransfer,
    ),
    Case(
        "stock-transfer-receive",
        "post",
        statuses(401, 403, 403, 200, 403),
        lambda w: sent_transfer(w.a, w.a.branch, w.a.other_branch),
        model=StockTransfer,
    ),
    Case(
        "stock-transfer-cancel",
        "post",
        statuses(401, 403, 200, 200, 403),
        lambda w: sent_transfer(w.a, w.a.branch, w.a.other_branch),
        model=StockTransfer,
    ),
    Case(
        "stock-transfer-cancel",
        "post",
        statuses(401, 403, 403, 200, 403),
        lambda w: sent_transfer(w.a, w.a.other_branch, w.a.branch),
        model=StockTransfer,
    ),
]

COVERED_ELSEWHERE: set[str] = set()
