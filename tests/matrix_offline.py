"""Isolation and RBAC declarations for the offline routes (see tests/matrix.py)."""

from __future__ import annotations

from tests.matrix import Case, ListRoute, ObjectRoute

OBJECT_ROUTES: dict[str, ObjectRoute] = {}
LIST_ROUTES: dict[str, ListRoute] = {}
NO_TENANT_ROWS: dict[str, str] = {}
CASES: list[Case] = []
COVERED_ELSEWHERE: set[str] = set()
