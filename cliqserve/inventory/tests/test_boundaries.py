"""Inventory's row locks live in locks.py and its hand-written SQL in sql.py, nowhere else, so
the lock order documented in locks.py cannot drift and every raw statement is reviewed in one
place (issue 10, ADR 0003)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

INVENTORY = Path(__file__).resolve().parents[1]
# Where each may appear: the checkout's one-statement decrement locks inside its SQL.
ALLOWED = {"row locks": {"locks.py", "sql.py"}, "hand-written SQL": {"sql.py"}}
FORBIDDEN = {
    "row locks": re.compile(r"select_for_update|FOR\s+(NO\s+KEY\s+)?UPDATE|FOR\s+SHARE", re.IGNORECASE),
    "hand-written SQL": re.compile(r"connection\.cursor|connection\.vendor|\.raw\(|\.extra\(|RawSQL"),
}
# A module this long needs a reason in its docstring (issue 10).
MAX_LINES = 400


def production_modules() -> list[Path]:
    return sorted(
        path for path in INVENTORY.rglob("*.py") if "tests" not in path.relative_to(INVENTORY).parts
    )


@pytest.mark.parametrize("kind", sorted(FORBIDDEN))
def test_locks_and_raw_sql_live_only_in_their_own_modules(kind):
    offenders = [
        f"{path.relative_to(INVENTORY)}:{number}: {line.strip()}"
        for path in production_modules()
        if path.name not in ALLOWED[kind] or path.parent != INVENTORY
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if FORBIDDEN[kind].search(line)
    ]

    assert offenders == [], f"{kind} outside {sorted(ALLOWED[kind])}"


def test_no_module_is_over_the_line_budget():
    long = [
        path.relative_to(INVENTORY)
        for path in production_modules()
        if len(path.read_text().splitlines()) > MAX_LINES
    ]

    assert long == []
