"""A cashier's move and its shift opening at once, on real parallel connections: never both
(the moved cashier would hold an open drawer at the branch it left)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from cliqserve.accounts import services
from cliqserve.accounts.models import User
from cliqserve.sales import policies
from cliqserve.sales.models import Shift
from cliqserve.tenants.models import DeviceAssignment
from conftest import client_for
from tests.parallel import outcome, run_in_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHIFTS = "/api/v1/shifts/"


def test_a_move_while_the_cashier_opens_a_shift_waits_for_it_and_is_refused(world, monkeypatch):
    a = world.a
    checked = threading.Event()
    may_open = policies.require_may_open_shift

    def open_slowly(**kwargs: Any) -> None:
        # The open has read the cashier's assignment and decided; the move runs now.
        may_open(**kwargs)
        checked.set()
        time.sleep(0.5)

    monkeypatch.setattr(policies, "require_may_open_shift", open_slowly)
    cashier, admin = client_for(a.cashier), client_for(a.tenant_admin)
    assert cashier.get(SHIFTS).status_code == admin.get("/api/v1/users/").status_code == 200

    def open_shift() -> Any:
        return cashier.post(SHIFTS, {"device": str(a.device.pk), "opening_cash": "20.00"}, format="json")

    def move() -> Any:
        assert checked.wait(timeout=10)
        return admin.patch(
            f"/api/v1/users/{a.cashier.pk}/", {"branch": str(a.other_branch.pk)}, format="json"
        )

    opened, moved = run_in_parallel([open_shift, move])

    assert outcome(opened) == (201, None)
    assert outcome(moved) == (409, "conflict")
    assert moved.json()["errors"][0]["meta"] == {"shift": opened.json()["id"]}
    assert User.objects.get(pk=a.cashier.pk).branch_id == a.branch.pk
    assert DeviceAssignment.objects.unscoped().filter(user=a.cashier, device=a.device).exists()
    assert Shift.objects.unscoped().filter(cashier=a.cashier, status="open").count() == 1


def test_an_open_while_the_cashier_is_being_moved_waits_for_the_move_and_is_refused(world, monkeypatch):
    a = world.a
    dropped = threading.Event()
    drop = services.drop_assignments_elsewhere

    def drop_slowly(user: Any) -> int:
        # The move has deleted the assignments and not committed yet; the open runs now.
        count = drop(user)
        dropped.set()
        time.sleep(0.5)
        return count

    monkeypatch.setattr(services, "drop_assignments_elsewhere", drop_slowly)
    cashier, admin = client_for(a.cashier), client_for(a.tenant_admin)
    assert cashier.get(SHIFTS).status_code == admin.get("/api/v1/users/").status_code == 200

    def move() -> Any:
        return admin.patch(
            f"/api/v1/users/{a.cashier.pk}/", {"branch": str(a.other_branch.pk)}, format="json"
        )

    def open_shift() -> Any:
        assert dropped.wait(timeout=10)
        return cashier.post(SHIFTS, {"device": str(a.device.pk), "opening_cash": "20.00"}, format="json")

    moved, opened = run_in_parallel([move, open_shift])

    assert outcome(moved) == (200, None)
    assert outcome(opened) == (403, "permission_denied")
    assert not Shift.objects.unscoped().filter(cashier=a.cashier).exists()
