"""`manage.py verify_stock`: the level equals the sum of its ledger, or the command says so."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cliqserve.inventory.models import StockLevel, StockMovement

from .helpers import D, level_of, product, receive

pytestmark = pytest.mark.django_db


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_stock", *args, stdout=out)
    return out.getvalue()


def test_a_consistent_ledger_passes(world):
    level_of(world.a, world.a.branch, "BEANS", quantity=5)
    level_of(world.b, world.b.branch, "BEANS", quantity=2)

    assert "Stock ledger consistent: 2 stock level(s) checked." in verify()


def test_a_level_that_drifted_from_its_ledger_is_reported_and_fails(world):
    stock = level_of(world.a, world.a.branch, "BEANS", quantity=5)
    level_of(world.b, world.b.branch, "MILK", quantity=2)
    StockLevel.objects.unscoped().filter(pk=stock.pk).update(quantity=D(7))
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 stock level"):
        call_command("verify_stock", stdout=out)

    assert out.getvalue().splitlines() == [
        f"drift: tenant=tenant-a branch={world.a.branch.code} product=BEANS level=7.000 ledger=5.000"
    ]


def test_a_ledger_with_no_level_row_is_a_drift(world):
    StockMovement.objects.unscoped().create(
        tenant=world.a.tenant,
        branch=world.a.branch,
        product=product(world.a.tenant, "GHOST"),
        kind=StockMovement.Kind.ADJUSTMENT,
        quantity=D(3),
    )
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("verify_stock", stdout=out)

    assert "product=GHOST level=missing ledger=3.000" in out.getvalue()


def test_a_level_with_no_movements_must_be_zero(world):
    bare = StockLevel.objects.unscoped().create(
        tenant=world.a.tenant, branch=world.a.branch, product=product(world.a.tenant, "BARE")
    )
    assert "1 stock level(s) checked" in verify()

    StockLevel.objects.unscoped().filter(pk=bare.pk).update(quantity=D(1))
    with pytest.raises(CommandError):
        verify()


def test_tenant_limits_the_check_to_one_tenant(world):
    stock = level_of(world.b, world.b.branch, "BEANS", quantity=5)
    level_of(world.a, world.a.branch, "BEANS", quantity=5)
    StockLevel.objects.unscoped().filter(pk=stock.pk).update(quantity=D(1))

    assert "1 stock level(s) checked" in verify("--tenant", "tenant-a")
    with pytest.raises(CommandError):
        verify("--tenant", "tenant-b")
    with pytest.raises(CommandError, match="No tenant"):
        verify("--tenant", "nobody")


def test_the_check_takes_the_same_queries_for_any_number_of_levels(world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            verify()
        return len(captured)

    receive(world.a, world.a.branch, product(world.a.tenant, "ONE"), 1)
    few = queries()
    for index in range(15):
        receive(world.a, world.a.other_branch, product(world.a.tenant, f"MANY-{index}"), 1)

    assert queries() == few == 3
