"""Isolation and RBAC declarations for the shifts routes (see tests/matrix.py).

Scope in short: the tenant admin works every shift of the tenant; a branch manager the shifts
of its branch (`w.a.branch`); a cashier its own shifts, and opens shifts only on the devices
assigned to it (`w.a.device`). `w.a.other_device` is in the other branch and assigned to no one;
its shift belongs to `w.a.other_cashier`. The platform owner has no tenant and no shifts.
"""

from __future__ import annotations

from typing import Any

from cliqserve.sales.models import CashMovement, Shift
from cliqserve.sales.tests.helpers import open_shift
from conftest import World
from tests.matrix import Case, ListRoute, ObjectRoute, statuses


def own_shift(w: World) -> Shift:
    """The open shift of the cashier on its device, in the manager's branch."""
    return open_shift(w.a)


def other_branch_shift(w: World) -> Shift:
    return open_shift(w.a, device=w.a.other_device, cashier=w.a.other_cashier)


def open_body(device: Any) -> dict[str, Any]:
    return {"device": str(device.pk), "opening_cash": "50.00"}


PAY_IN = {"kind": "pay_in", "amount": "5.00", "reason": "float top-up"}
CLOSE = {"counted_cash": "100.00"}

OBJECT_ROUTES: dict[str, ObjectRoute] = {
    "shift-detail": ObjectRoute(Shift, lambda w: open_shift(w.b), lambda w: {}, methods=("get",)),
    # Each body would be accepted for A's own open shift.
    "shift-cash-movements": ObjectRoute(
        Shift, lambda w: open_shift(w.b), lambda w: PAY_IN, methods=("get", "post")
    ),
    "shift-close": ObjectRoute(Shift, lambda w: open_shift(w.b), lambda w: CLOSE, methods=("post",)),
    "shift-report": ObjectRoute(Shift, lambda w: open_shift(w.b), lambda w: {}, methods=("get",)),
}

LIST_ROUTES: dict[str, ListRoute] = {
    "shift-list": ListRoute(
        lambda w: {own_shift(w).pk, other_branch_shift(w).pk},
        lambda w: {
            open_shift(w.b).pk,
            open_shift(w.b, device=w.b.other_device, cashier=w.b.other_cashier).pk,
        },
    ),
}

NO_TENANT_ROWS: dict[str, str] = {}

EVERYONE_IN_TENANT = statuses(401, 200, 200, 200, 403)
ADMIN_ONLY_SEES = statuses(401, 404, 404, 200, 403)

CASES: list[Case] = [
    Case("shift-list", "get", EVERYONE_IN_TENANT),
    Case("shift-detail", "get", EVERYONE_IN_TENANT, own_shift),
    Case("shift-detail", "get", ADMIN_ONLY_SEES, other_branch_shift),
    *(
        Case("shift-detail", method, statuses(405, 405, 405, 405, 405), own_shift, model=Shift)
        for method in ("put", "patch", "delete")
    ),
    # Opening: the cashier on its assigned device, the manager in its branch, the admin anywhere.
    # With and without the optional Idempotency-Key.
    *(
        Case(
            "shift-list",
            "post",
            statuses(401, 201, 201, 201, 403),
            body=lambda w: open_body(w.a.device),
            model=Shift,
            headers=headers,
        )
        for headers in ({}, {"Idempotency-Key": "rbac-open"})
    ),
    Case(
        "shift-list",
        "post",
        statuses(401, 403, 403, 201, 403),
        body=lambda w: open_body(w.a.other_device),
        model=Shift,
    ),
    # The drawer of an open shift: its cashier, its branch's manager, the admin.
    Case("shift-cash-movements", "get", EVERYONE_IN_TENANT, own_shift),
    Case("shift-cash-movements", "get", ADMIN_ONLY_SEES, other_branch_shift),
    Case(
        "shift-cash-movements",
        "post",
        statuses(401, 201, 201, 201, 403),
        own_shift,
        lambda w: PAY_IN,
        CashMovement,
    ),
    Case(
        "shift-cash-movements",
        "post",
        statuses(401, 404, 404, 201, 403),
        other_branch_shift,
        lambda w: PAY_IN,
        CashMovement,
        headers={"Idempotency-Key": "rbac-pay"},
    ),
    Case("shift-close", "post", EVERYONE_IN_TENANT, own_shift, lambda w: CLOSE, Shift),
    Case("shift-close", "post", ADMIN_ONLY_SEES, other_branch_shift, lambda w: CLOSE, Shift),
    Case("shift-close", "get", statuses(405, 405, 405, 405, 405), own_shift),
    Case("shift-report", "get", EVERYONE_IN_TENANT, own_shift),
    Case("shift-report", "get", ADMIN_ONLY_SEES, other_branch_shift),
    Case("shift-report", "post", statuses(405, 405, 405, 405, 405), own_shift, model=Shift),
]

COVERED_ELSEWHERE: set[str] = set()
