"""Isolation and RBAC declarations for GET /api/v1/flags/ (the caller's own flags only)."""

from __future__ import annotations

from tests.matrix import Case, ListRoute, ObjectRoute, statuses

OBJECT_ROUTES: dict[str, ObjectRoute] = {}
LIST_ROUTES: dict[str, ListRoute] = {}
NO_TENANT_ROWS: dict[str, str] = {
    "flags": "the caller's own flag states; flag conditions are global rows (django-flags' FlagState)",
}

CASES: list[Case] = [
    # Every person; never an API key (no scope opens it): keys drive no UI.
    Case("flags", "get", statuses(401, 200, 200, 200, 200)),
    Case("flags", "post", statuses(405, 405, 405, 405, 405)),
]
COVERED_ELSEWHERE: set[str] = set()
