"""Fixtures shared by every test package."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Throttle counters and cached values never leak from one test into the next."""
    _clear_own_cache_keys()
    yield
    _clear_own_cache_keys()


def _clear_own_cache_keys() -> None:
    # On Redis, clear only this worker's prefixed keys: parallel workers share the server.
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()
    # The lockout's in-process fallback, used while Redis fails (core/cache.py).
    from cliqserve.core.cache import clear_fallback_counters

    clear_fallback_counters()


class CapturedLogs:
    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    @property
    def text(self) -> str:
        return self._stream.getvalue()

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@pytest.fixture
def json_logs() -> Iterator[CapturedLogs]:
    """The output of the configured stdout JSON handler, exactly as an operator would see it."""
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield CapturedLogs(stream)
    finally:
        handler.setStream(previous)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


# --- Two tenants, every role: the world most API tests run in ------------------------------


class TenantWorld:
    """One tenant's rows: two branches, a device in each, one user per role."""

    def __init__(self, label: str) -> None:
        from cliqserve.core.roles import Role
        from tests.factories import BranchFactory, DeviceFactory, TenantFactory, UserFactory

        self.tenant = TenantFactory(slug=f"tenant-{label}", name=f"Tenant {label.upper()}")
        self.branch = BranchFactory(tenant=self.tenant, code=f"{label}1")
        self.other_branch = BranchFactory(tenant=self.tenant, code=f"{label}2")
        self.tenant_admin = UserFactory(
            email=f"admin@{label}.test", role=Role.TENANT_ADMIN, tenant=self.tenant, branch=None
        )
        self.branch_manager = UserFactory(
            email=f"manager@{label}.test", role=Role.BRANCH_MANAGER, branch=self.branch
        )
        self.cashier = UserFactory(email=f"cashier@{label}.test", role=Role.CASHIER, branch=self.branch)
        self.other_cashier = UserFactory(
            email=f"cashier2@{label}.test", role=Role.CASHIER, branch=self.other_branch
        )
        self.device = DeviceFactory(branch=self.branch, code=f"{label}-POS1", assigned_users=[self.cashier])
        self.other_device = DeviceFactory(branch=self.other_branch, code=f"{label}-POS2")

    def user(self, role: str) -> Any:
        return getattr(self, role)


class World:
    def __init__(self) -> None:
        from cliqserve.core.roles import Role
        from tests.factories import UserFactory

        self.a = TenantWorld("a")
        self.b = TenantWorld("b")
        self.platform_owner = UserFactory(
            email="owner@platform.test", role=Role.PLATFORM_OWNER, tenant=None, branch=None, is_staff=True
        )

    def user(self, role: str) -> Any:
        return self.platform_owner if role == "platform_owner" else self.a.user(role)


@pytest.fixture
def world(db: None) -> World:
    return World()


def client_for(user: Any, *, device: Any = None) -> APIClient:
    """An API client signed in as `user` with a real access token."""
    from cliqserve.accounts.auth import issue_tokens

    client = APIClient()
    if user is not None:
        tokens = issue_tokens(user=user, device=device)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access}")
    return client
