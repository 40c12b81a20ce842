"""Where sales keeps its row locks, its SQL and its role rules (issue 10, ADR 0003): a lock
anywhere but locks.py, SQL anywhere but sql.py (or locks.py, for a lock written as SQL), a role
check in a service rather than policies.py, fails here before review has to find it.

The modules are read as code (ast), so docstrings and comments may still explain the locks."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

SALES = Path(__file__).resolve().parents[1]
MODULES = sorted(
    path for path in SALES.rglob("*.py") if "tests" not in path.parts and "migrations" not in path.parts
)

LOCK_NAMES = {"select_for_update", "for_update_sql"}
LOCK_SQL = re.compile(r"\bFOR\s+(NO\s+KEY\s+|KEY\s+)?(UPDATE|SHARE)\b", re.IGNORECASE)
RAW_SQL_NAMES = {"raw", "cursor", "vendor", "execute", "executemany"}
ROLE = "role"


def _docstrings(tree: ast.AST) -> set[int]:
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, owners)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def _locks(node: ast.AST, docstrings: set[int]) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in LOCK_NAMES
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return False
    return id(node) not in docstrings and bool(LOCK_SQL.search(node.value))


def _raw_sql(node: ast.AST, docstrings: set[int]) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in RAW_SQL_NAMES


def _role_check(node: ast.AST, docstrings: set[int]) -> bool:
    """`x.role == ...`, `x.role != ...`, `x.role in ...`: a decision on a role."""
    return isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == ROLE


def offenders(check: Callable[[ast.AST, set[int]], bool], *, allowed: set[str]) -> list[str]:
    found = []
    for path in MODULES:
        name = str(path.relative_to(SALES))
        if name in allowed:
            continue
        tree = ast.parse(path.read_text())
        docstrings = _docstrings(tree)
        found += [
            f"{name}:{getattr(node, 'lineno', 0)}" for node in ast.walk(tree) if check(node, docstrings)
        ]
    return found


@pytest.mark.parametrize(
    ("check", "allowed"),
    [
        (_locks, {"locks.py"}),
        (_raw_sql, {"sql.py", "locks.py"}),
        # Route policies (api/) name the roles let in; selectors scope reads by role.
        (_role_check, {"policies.py", "selectors.py"}),
    ],
    ids=["row locks", "raw SQL", "role checks"],
)
def test_sales_keeps_each_concern_in_its_module(check, allowed):
    assert offenders(check, allowed=allowed) == []


@pytest.mark.parametrize(
    ("check", "module"), [(_locks, "locks.py"), (_raw_sql, "sql.py"), (_role_check, "policies.py")]
)
def test_the_checks_see_what_they_guard(check, module):
    assert any(found.startswith(f"{module}:") for found in offenders(check, allowed=set()))
