"""Isolation and RBAC declarations for the reports (GET /api/v1/reports/...).

Reports are read by the tenant admin (every branch) and the branch manager (its own branch:
naming another is 403); cashiers and the platform owner are refused. A report answers `rows`
(not a list of objects with ids), so its isolation is proven by the report's own tests, named
below, which hold another tenant's stock and ask for its branch and category.

Several helpers add reports: keep each report's entries in its own marked block.
"""

from __future__ import annotations

from tests.matrix import Case, ListRoute, ObjectRoute, statuses

OBJECT_ROUTES: dict[str, ObjectRoute] = {}

LIST_ROUTES: dict[str, ListRoute] = {}

NO_TENANT_ROWS: dict[str, str] = {}

CASES: list[Case] = []

COVERED_ELSEWHERE: set[str] = set()


# --- Stock report (GET /api/v1/reports/stock/) ---------------------------------------------------

NO_TENANT_ROWS["report-stock"] = (
    "GET only; answers `rows` of the caller's tenant only: another tenant's branch or category is "
    "400 with no rows, and its stock never appears (cliqserve/reports/tests/test_stock.py: "
    "test_value_is_quantity_times_average_cost_per_row_and_totals_add_up_exactly, "
    "test_another_tenants_branch_or_category_is_unknown_and_answers_no_data)"
)
CASES += [
    Case("report-stock", "get", statuses(401, 403, 200, 200, 403)),
    Case(
        "report-stock",
        "get",
        statuses(401, 403, 200, 200, 403),
        body=lambda w: {"branch": str(w.a.branch.pk)},
    ),
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

# --- End of the stock report ---------------------------------------------------------------------
