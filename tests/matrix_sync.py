"""Isolation and RBAC declarations for the device sync endpoints."""

from __future__ import annotations

from tests.matrix import Case, ListRoute, ObjectRoute, statuses

OBJECT_ROUTES: dict[str, ObjectRoute] = {}
LIST_ROUTES: dict[str, ListRoute] = {}
NO_TENANT_ROWS: dict[str, str] = {
    "sync-catalog": "the caller's tenant only (catalog/tests/test_sync.py: B's rows never appear)",
}
CASES: list[Case] = [
    Case("sync-catalog", "get", statuses(401, 200, 200, 200, 403)),
]
COVERED_ELSEWHERE: set[str] = set()
