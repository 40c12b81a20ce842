"""Isolation and RBAC declarations for the reports routes (see tests/matrix.py).

Reports are aggregates, not rows: they are declared under NO_TENANT_ROWS with the test that
proves a tenant's report never counts another tenant's sales. Tenant admins and branch
managers read them (a manager its own branch); cashiers and the platform owner are refused.
"""

from __future__ import annotations

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
