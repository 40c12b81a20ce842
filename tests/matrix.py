"""Building blocks of the isolation and RBAC matrices (tests/test_isolation.py, test_rbac.py).

Each domain declares its routes in its own module (tests/matrix_<domain>.py) so the matrices
grow with the API; the matrix tests fail for any route that no module declares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from conftest import World

ROLES = ("anonymous", "cashier", "branch_manager", "tenant_admin", "platform_owner")


@dataclass(frozen=True)
class ObjectRoute:
    """An object route, probed by tenant A with tenant B's object."""

    model: type[models.Model]
    target: Callable[[World], Any]  # tenant B's object that tenant A probes
    payload: Callable[[World], dict[str, Any]]  # a body that would be valid for A's own object
    # The methods the route serves; tenant A gets 405 for the others, 404 (or 403) for these.
    methods: tuple[str, ...] = ("get", "put", "patch", "delete")


@dataclass(frozen=True)
class ListRoute:
    own: Callable[[World], set[Any]]  # ids tenant A's admin must see
    foreign: Callable[[World], set[Any]]  # tenant B's ids, which must never appear


@dataclass(frozen=True)
class Case:
    """One row of the RBAC matrix: a request and the status each role must get."""

    route: str
    method: str
    expected: dict[str, int]  # role -> status
    target: Callable[[World], Any] | None = None  # object for detail routes
    body: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    model: type[models.Model] | None = None  # table a refused write must leave unchanged
    headers: dict[str, str] = field(default_factory=dict)  # e.g. {"Idempotency-Key": "k1"}


def statuses(anonymous: int, cashier: int, manager: int, admin: int, owner: int) -> dict[str, int]:
    return dict(zip(ROLES, (anonymous, cashier, manager, admin, owner), strict=True))
