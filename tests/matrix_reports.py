"""Isolation and RBAC declarations for the reports routes (see tests/matrix.py).

Reports are aggregates, not rows: they are declared under NO_TENANT_ROWS with the test that
proves a tenant's report never counts another tenant's sales. Tenant admins and branch
managers read them (a manager its own branch); cashiers and the platform owner are refused.
"""

from __future__ import annotations

from typing import Any

from cliqserve.sales.models import Sale
from cliqserve.sales.tests.helpers import sale_of
from conftest import World
from tests.matrix import Case, ListRoute, ObjectRoute, statuses

READ = statuses(401, 403, 200, 200, 403)

# --- Sales report (lead) ---------------------------------------------------------------------------

OBJECT_ROUTES: dict[str, ObjectRoute] = {}
LIST_ROUTES: dict[str, ListRoute] = {}
NO_TENANT_ROWS: dict[str, str] = {
    "report-sales": "aggregates of the caller's tenant only (test_reports_never_count_another_tenants_sales)",
}
CASES: list[Case] = [
    Case("report-sales", "get", READ),
]
COVERED_ELSEWHERE: set[str] = set()


# --- Stock report (helper "stock") -----------------------------------------------------------------
# A report answers `rows`, not objects with ids: its isolation is proven by its own tests, which
# hold another tenant's stock and ask for that tenant's branch and category.

NO_TENANT_ROWS["report-stock"] = (
    "GET only; answers `rows` of the caller's tenant only: another tenant's branch or category is "
    "400 with no rows, and its stock never appears (cliqserve/reports/tests/test_stock.py: "
    "test_value_is_quantity_times_average_cost_per_row_and_totals_add_up_exactly, "
    "test_another_tenants_branch_or_category_is_unknown_and_answers_no_data)"
)
CASES += [
    Case("report-stock", "get", READ),
    Case("report-stock", "get", READ, body=lambda w: {"branch": str(w.a.branch.pk)}),
    # a manager naming another branch of its tenant is refused, in JSON and in CSV
    Case(
        "report-stock",
        "get",
        statuses(401, 403, 403, 200, 403),
        body=lambda w: {"branch": str(w.a.other_branch.pk)},
    ),
    Case(
        "report-stock",
        "get",
        statuses(401, 403, 403, 200, 403),
        body=lambda w: {"branch": str(w.a.other_branch.pk), "format": "csv"},
    ),
    Case("report-stock", "post", statuses(405, 405, 405, 405, 405)),
]

# --- End of the stock report -------------------------------------------------------------------------


# === Exceptions report and sale review (GET /reports/exceptions/, POST /sales/{id}/review/) ========
#
# The report: the tenant admin every branch, a branch manager its own (another branch is 403),
# cashiers and the platform owner never. It takes no object id: another tenant's branch in
# `?branch=` is 400 and its rows never show (cliqserve/reports/tests/test_exceptions.py).
# The review: the tenant admin any flagged sale, the manager its branch's (another branch's sale
# is 404, as for reads), cashiers never (403 before any lookup); a sale not flagged is 409.


def _flagged(tw: Any, branch: Any = None) -> Sale:
    """A sale of `tw` at `branch` flagged for review, as an offline sale is."""
    sale = sale_of(tw, branch)
    Sale.objects.unscoped().filter(pk=sale.pk).update(needs_review=True, review_reasons=["price_override"])
    sale.refresh_from_db()
    return sale


def _plain(w: World) -> Sale:
    sale = sale_of(w.a)
    Sale.objects.unscoped().filter(pk=sale.pk).update(needs_review=False)
    return sale


REVIEW_NOTE = {"note": "checked"}

EXC_OBJECT_ROUTES: dict[str, ObjectRoute] = {
    "sale-review": ObjectRoute(Sale, lambda w: _flagged(w.b), lambda w: REVIEW_NOTE, methods=("post",)),
}
EXC_NO_TENANT_ROWS: dict[str, str] = {
    "report-exceptions": "GET only, no object id in the path; it aggregates the caller's tenant "
    "only, a `branch` of another tenant is 400 and that tenant's activity never shows (reports "
    "test_exceptions test_another_tenants_activity_never_shows_and_its_branch_is_unknown)",
}
EXC_CASES: list[Case] = [
    Case("report-exceptions", "get", statuses(401, 403, 200, 200, 403)),
    Case(
        "report-exceptions",
        "get",
        statuses(401, 403, 200, 200, 403),
        body=lambda w: {"branch": str(w.a.branch.pk)},
    ),
    Case(
        "report-exceptions",
        "get",
        statuses(401, 403, 403, 200, 403),
        body=lambda w: {"branch": str(w.a.other_branch.pk)},
    ),
    Case(
        "report-exceptions",
        "get",
        statuses(401, 403, 400, 400, 403),
        body=lambda w: {"branch": str(w.b.branch.pk)},
    ),
    Case("report-exceptions", "post", statuses(405, 405, 405, 405, 405), model=Sale),
    Case(
        "sale-review",
        "post",
        statuses(401, 403, 200, 200, 403),
        lambda w: _flagged(w.a),
        lambda w: REVIEW_NOTE,
        Sale,
    ),
    Case(
        "sale-review",
        "post",
        statuses(401, 403, 404, 200, 403),
        lambda w: _flagged(w.a, w.a.other_branch),
        lambda w: REVIEW_NOTE,
        Sale,
    ),
    Case("sale-review", "post", statuses(401, 403, 409, 409, 403), _plain, lambda w: REVIEW_NOTE, Sale),
    Case(
        "sale-review", "post", statuses(401, 403, 400, 400, 403), lambda w: _flagged(w.a), lambda w: {}, Sale
    ),
    Case("sale-review", "get", statuses(405, 405, 405, 405, 405), lambda w: _flagged(w.a)),
]

OBJECT_ROUTES.update(EXC_OBJECT_ROUTES)
NO_TENANT_ROWS.update(EXC_NO_TENANT_ROWS)
CASES.extend(EXC_CASES)

# === end of the exceptions and review block =====================================================
