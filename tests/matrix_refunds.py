"""Isolation and RBAC declarations for refunds and voids (see tests/matrix.py).

Sales are created on first use through the sale service (cliqserve/sales/tests/helpers.py):
one at the cashier's branch rung up by the cashier on its device's shift, one there rung up by
the tenant admin on that same shift, and one at the other branch rung up by the admin on the
other device's shift. Refunds: the tenant admin any sale, the branch manager its branch's, the
cashier sees its own sales' and refunds one only with a manager's approval (403 without one;
the approved ones are in cliqserve/sales/tests/test_approved_refunds_and_voids.py). Voids: the
tenant admin any, the manager its branch's, the cashier its own sales on its own shift. A sale a
role cannot see is 404.
"""

from __future__ import annotations

from typing import Any

from cliqserve.inventory.tests.helpers import receive
from cliqserve.sales.models import Refund, Sale, SaleLine
from cliqserve.sales.tests.helpers import cash_sale, open_shift, stocked
from conftest import World
from tests.matrix import Case, ListRoute, ObjectRoute, statuses


def _sale(tw: Any, *, other_branch: bool = False, by_admin: bool = False) -> Sale:
    branch = tw.other_branch if other_branch else tw.branch
    seller = tw.tenant_admin if (by_admin or other_branch) else tw.cashier
    existing: Sale | None = (
        Sale.objects.unscoped().filter(tenant=tw.tenant, branch=branch, cashier=seller).first()
    )
    if existing is not None:
        return existing
    item = stocked(tw, "REFUND-1")
    if other_branch:
        receive(tw, branch, item, 10)
        shift = open_shift(tw, device=tw.other_device, cashier=tw.other_cashier)
    else:
        shift = open_shift(tw)
    return cash_sale(tw, shift, (item, 2), actor=seller)


def _refund_body(sale: Sale) -> dict[str, Any]:
    line = SaleLine.objects.unscoped().get(sale=sale)
    return {"lines": [{"sale_line": str(line.pk), "quantity": "1"}], "reason": "damaged"}


VOID_BODY = {"reason": "rung up twice"}
KEY = {"Idempotency-Key": "rbac-refund-1"}


def _own(w: World) -> Sale:
    return _sale(w.a)


def _other_branch(w: World) -> Sale:
    return _sale(w.a, other_branch=True)


def _admins_sale_on_cashiers_shift(w: World) -> Sale:
    return _sale(w.a, by_admin=True)


OBJECT_ROUTES: dict[str, ObjectRoute] = {
    "sale-refunds": ObjectRoute(
        Sale, lambda w: _sale(w.b), lambda w: _refund_body(_own(w)), methods=("get", "post")
    ),
    "sale-void": ObjectRoute(Sale, lambda w: _sale(w.b), lambda w: VOID_BODY, methods=("post",)),
}
LIST_ROUTES: dict[str, ListRoute] = {}
NO_TENANT_ROWS: dict[str, str] = {}

CASES: list[Case] = [
    # refunds: the admin any sale, the manager its branch's; a cashier sees its own sale's, and
    # refunds it only with a manager's approval, which these requests do not carry
    Case("sale-refunds", "get", statuses(401, 200, 200, 200, 403), _own),
    Case("sale-refunds", "get", statuses(401, 404, 404, 200, 403), _other_branch),
    Case(
        "sale-refunds",
        "post",
        statuses(401, 403, 201, 201, 403),
        _own,
        lambda w: _refund_body(_own(w)),
        Refund,
        KEY,
    ),
    Case(
        "sale-refunds",
        "post",
        statuses(401, 404, 404, 201, 403),
        _other_branch,
        lambda w: _refund_body(_other_branch(w)),
        Refund,
        KEY,
    ),
    # without a key the roles let in get 400 idempotency_key_required, and nothing is written
    Case(
        "sale-refunds",
        "post",
        statuses(401, 400, 400, 400, 403),
        _own,
        lambda w: _refund_body(_own(w)),
        Refund,
    ),
    Case("sale-refunds", "delete", statuses(405, 405, 405, 405, 405), _own, model=Refund),
    # voids: the cashier its own sale on its own shift, the manager its branch, the admin any
    Case("sale-void", "post", statuses(401, 200, 200, 200, 403), _own, lambda w: VOID_BODY, Sale),
    Case(
        "sale-void",
        "post",
        statuses(401, 403, 200, 200, 403),
        _admins_sale_on_cashiers_shift,
        lambda w: VOID_BODY,
        Sale,
    ),
    Case("sale-void", "post", statuses(401, 404, 404, 200, 403), _other_branch, lambda w: VOID_BODY, Sale),
    Case("sale-void", "get", statuses(405, 405, 405, 405, 405), _own),
]

COVERED_ELSEWHERE: set[str] = set()
