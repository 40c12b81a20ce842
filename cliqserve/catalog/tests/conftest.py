"""Fixtures of the catalog tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cliqserve.core.tenancy import tenant_scope


@pytest.fixture
def in_tenant_a(world) -> Iterator[Any]:
    """Tenant A's world, with A's tenant scope active (what the API view does per request)."""
    with tenant_scope(world.a.tenant.pk):
        yield world.a
