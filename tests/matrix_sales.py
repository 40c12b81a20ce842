"""Isolation and RBAC declarations for sales (see tests/matrix.py).

Scope in short: the tenant admin sells on and reads every shift of its tenant; a branch
manager those of its branch; a cashier sells on its own open shift, on a device assigned to it,
and reads the sales of its own shifts. The platform owner has no tenant and sells nothing.
"""

from __future__ import annotations

from typing import Any

from cliqserve.sales.models import Sale
from cliqserve.sales.tests.helpers import open_shift, sale_body, sale_of, stocked
from conftest import World
from tests.matrix import Case, ListRoute, ObjectRoute, statuses


def _body(w: World, *, home: bool = True) -> dict[str, Any]:
    """A valid sale on the cashier's shift (home) or on the other branch's shift."""
    a = w.a
    shift = open_shift(a) if home else open_shift(a, device=a.other_device, cashier=a.other_cashier)
    return sale_body(shift, (stocked(a, "MATRIX-1", branch=shift.branch), 1))


OBJECT_ROUTES: dict[str, ObjectRoute] = {
    "sale-detail": ObjectRoute(
        Sale, lambda w: sale_of(w.b), lambda w: {"status": "voided"}, methods=("get",)
    ),
}

LIST_ROUTES: dict[str, ListRoute] = {
    "sale-list": ListRoute(
        lambda w: {sale_of(w.a).pk, sale_of(w.a, w.a.other_branch).pk},
        lambda w: {sale_of(w.b).pk, sale_of(w.b, w.b.other_branch).pk},
    ),
}

NO_TENANT_ROWS: dict[str, str] = {}

KEY = {"Idempotency-Key": "rbac-sale-1"}

CASES: list[Case] = [
    Case("sale-list", "get", statuses(401, 200, 200, 200, 403)),
    Case("sale-detail", "get", statuses(401, 200, 200, 200, 403), lambda w: sale_of(w.a)),
    Case(
        "sale-detail",
        "get",
        statuses(401, 404, 404, 200, 403),
        lambda w: sale_of(w.a, w.a.other_branch),
    ),
    Case(
        "sale-detail",
        "patch",
        statuses(405, 405, 405, 405, 405),
        lambda w: sale_of(w.a),
        lambda w: {"total": "0"},
        Sale,
    ),
    Case(
        "sale-detail",
        "delete",
        statuses(405, 405, 405, 405, 405),
        lambda w: sale_of(w.a),
        model=Sale,
    ),
    # Selling on the cashier's own shift: its cashier, its branch's manager, the admin.
    Case("sale-list", "post", statuses(401, 201, 201, 201, 403), body=_body, model=Sale, headers=KEY),
    # On the other branch's shift: only the admin.
    Case(
        "sale-list",
        "post",
        statuses(401, 403, 403, 201, 403),
        body=lambda w: _body(w, home=False),
        model=Sale,
        headers=KEY,
    ),
]

COVERED_ELSEWHERE: set[str] = set()
