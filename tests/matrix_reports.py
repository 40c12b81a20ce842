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
